//! Reading the subscription (online, or from the verified cache).

use tauri::State;

use crate::desktop::Desktop;
use crate::error::DesktopError;
use crate::view::StatusView;

#[tauri::command]
pub async fn status(desktop: State<'_, Desktop>) -> Result<StatusView, DesktopError> {
    let provisioned = std::env::var("ERP_BTP_RELAY_URL")
        .ok()
        .zip(std::env::var("ERP_BTP_TOKEN").ok());
    desktop.status_or_provision(provisioned).await
}

//! Logging in and out.

use tauri::State;

use crate::desktop::Desktop;
use crate::error::DesktopError;
use crate::view::StatusView;

#[tauri::command]
pub async fn login(
    desktop: State<'_, Desktop>,
    relay_url: String,
    token: String,
) -> Result<StatusView, DesktopError> {
    desktop.login(&relay_url, &token).await
}

#[tauri::command]
pub fn logout(desktop: State<'_, Desktop>) -> Result<(), DesktopError> {
    desktop.logout()
}

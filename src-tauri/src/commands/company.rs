//! The company's SIREN: read it, give it while none is on file.

use tauri::State;

use crate::company::CompanyView;
use crate::desktop::Desktop;
use crate::error::DesktopError;

#[tauri::command]
pub async fn company(desktop: State<'_, Desktop>) -> Result<CompanyView, DesktopError> {
    desktop.company().await
}

#[tauri::command]
pub async fn set_siren(
    desktop: State<'_, Desktop>,
    siren: String,
) -> Result<CompanyView, DesktopError> {
    desktop.set_siren(&siren).await
}

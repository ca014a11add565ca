//! The « Factures » view: list, open in the browser, save as PDF.

use tauri::State;

use crate::desktop::Desktop;
use crate::error::DesktopError;
use crate::invoices::InvoiceView;

#[tauri::command]
pub async fn list_invoices(desktop: State<'_, Desktop>) -> Result<Vec<InvoiceView>, DesktopError> {
    desktop.invoices().await
}

#[tauri::command]
pub async fn open_invoice(desktop: State<'_, Desktop>, number: String) -> Result<(), DesktopError> {
    desktop.open_invoice(&number).await
}

/// Returns where the PDF was saved.
#[tauri::command]
pub async fn save_invoice(
    desktop: State<'_, Desktop>,
    number: String,
) -> Result<String, DesktopError> {
    desktop.save_invoice(&number).await
}

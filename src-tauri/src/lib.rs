//! ERP BTP — Abonnement: the desktop app of a BTP company's admin. It shows the subscription,
//! works offline from a verified cache, and renews through Stripe Checkout in the system
//! browser while waiting on the relay. It talks to the relay only (never to Stripe).

#[cfg(test)]
mod bindings;
pub mod cache;
pub mod commands;
pub mod company;
pub mod desktop;
pub mod error;
pub mod invoices;
pub mod relay_client;
pub mod reminders;
pub mod secrets;
pub mod urls;
pub mod view;

use std::sync::Arc;

use tauri::{Manager, Runtime};

use crate::desktop::{Desktop, system_opener};
use crate::reminders::Notifier;

/// Adds the app's state and commands to `builder`; tests pass Tauri's mock builder.
pub fn run_app<R: Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder
        .plugin(tauri_plugin_notification::init())
        .setup(|app| {
            let dir = app.path().app_data_dir()?;
            let handle = app.handle().clone();
            let notifier: Notifier = Arc::new(move |title: &str, body: &str| {
                use tauri_plugin_notification::NotificationExt;
                if let Err(e) = handle
                    .notification()
                    .builder()
                    .title(title)
                    .body(body)
                    .show()
                {
                    eprintln!("notification not shown: {e}");
                }
            });
            let mut desktop = Desktop::new(dir, system_opener()).with_notifier(notifier);
            if let Ok(downloads) = app.path().download_dir() {
                desktop = desktop.with_downloads(downloads);
            }
            app.manage(desktop);
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::session::login,
            commands::session::logout,
            commands::status::status,
            commands::renew::start_renewal,
            commands::renew::wait_for_payment,
            commands::renew::cancel_wait,
            commands::renew::open_web_renewal,
            commands::renew::open_billing_portal,
            commands::invoices::list_invoices,
            commands::invoices::open_invoice,
            commands::invoices::save_invoice,
            commands::company::company,
            commands::company::set_siren,
        ])
}

pub fn run() {
    // Without a secret service the app still opens; logging in then says what is missing.
    if let Err(reason) = secrets::install_platform_store() {
        eprintln!("no OS secret store: {reason}");
    }
    run_app(tauri::Builder::default())
        .run(tauri::generate_context!())
        .expect("the ERP BTP window could not start");
}

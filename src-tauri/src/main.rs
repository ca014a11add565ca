//! ERP BTP — Abonnement: starts the desktop app.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    erp_btp_desktop::run();
}

//! The company's SIREN, which every facture names it by: shown once the relay is reached, asked
//! for while none is on file (no payment opens before), sent to the relay, which checks it.

use erp_btp_protocol::fr;
use serde::Serialize;

use crate::desktop::Desktop;
use crate::error::DesktopError;

/// What the window shows of the company.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct CompanyView {
    pub name: String,
    /// « 552 100 554 », as printed on a Kbis; none yet: the window asks for it.
    pub siren: Option<String>,
}

fn view(c: erp_btp_protocol::CompanyResponse) -> CompanyView {
    CompanyView {
        name: c.name,
        siren: c.siren.as_deref().map(fr::siren),
    }
}

impl Desktop {
    pub async fn company(&self) -> Result<CompanyView, DesktopError> {
        let (_, login, client) = self.logged_in()?;
        client.company(&login.token).await.map(view)
    }

    /// Sends the SIREN the admin typed; the relay checks it and keeps the first one given.
    pub async fn set_siren(&self, siren: &str) -> Result<CompanyView, DesktopError> {
        let (_, login, client) = self.logged_in()?;
        let typed: String = siren.chars().take(40).collect();
        client.set_siren(&login.token, &typed).await.map(view)
    }
}

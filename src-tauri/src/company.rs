//! The company's SIREN, which every facture names it by: shown once the relay is reached, asked
//! for while none is on file (no payment opens before), sent to the relay, which checks it.

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

/// `siren` as printed (« 552 100 554 ») when it is nine digits, else as it came.
pub fn spaced(siren: &str) -> String {
    if siren.len() == 9 && siren.bytes().all(|b| b.is_ascii_digit()) {
        format!("{} {} {}", &siren[0..3], &siren[3..6], &siren[6..9])
    } else {
        siren.to_owned()
    }
}

fn view(c: erp_btp_protocol::CompanyResponse) -> CompanyView {
    CompanyView {
        name: c.name,
        siren: c.siren.as_deref().map(spaced),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_siren_reads_in_three_groups_and_anything_else_as_it_came() {
        assert_eq!(spaced("552100554"), "552 100 554");
        assert_eq!(spaced("€52100554"), "€52100554");
        assert_eq!(spaced("55210055"), "55210055");
    }
}

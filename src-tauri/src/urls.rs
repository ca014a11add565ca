//! Which addresses the app accepts: the relay's (https, or http only on this computer, so that
//! the token never travels in clear), and the pages it opens in the system browser (the relay's
//! own, or Stripe's checkout and billing pages over https). A hostile relay or a
//! man-in-the-middle cannot make it launch `file://`, a network share or any other site.

use std::net::IpAddr;

use url::{Host, Url};

use crate::error::DesktopError;

/// Stripe's hosted pages a relay may send the admin to.
const STRIPE_HOSTS: [&str; 3] = [
    "checkout.stripe.com",
    "billing.stripe.com",
    "invoice.stripe.com",
];

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// A relay address typed by the user: https (http only for a relay on this computer), a host,
/// no credentials, no query.
pub fn parse_relay_url(text: &str) -> Result<Url, DesktopError> {
    let url = Url::parse(text.trim()).map_err(|_| DesktopError::InvalidRelayUrl)?;
    let scheme_ok = url.scheme() == "https" || (url.scheme() == "http" && is_loopback(&url));
    if !scheme_ok
        || url.host().is_none()
        || url.query().is_some()
        || !url.username().is_empty()
        || url.password().is_some()
    {
        return Err(DesktopError::InvalidRelayUrl);
    }
    Ok(url)
}

/// `candidate`, if the app may open it in the browser for a relay at `relay`: a page of the
/// relay itself (same scheme, host and port, the sandbox's pages included), or Stripe's
/// checkout and billing pages over https.
pub fn openable(candidate: &str, relay: &Url) -> Result<Url, DesktopError> {
    let refused = || DesktopError::UnsafeUrl(candidate.chars().take(120).collect());
    let url = Url::parse(candidate).map_err(|_| refused())?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(refused());
    }
    let on_relay = url.origin() == relay.origin();
    let on_stripe = url.scheme() == "https"
        && url.port().is_none()
        && matches!(url.host(), Some(Host::Domain(d)) if STRIPE_HOSTS.contains(&d));
    if on_relay || on_stripe {
        Ok(url)
    } else {
        Err(refused())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_http_relay_is_refused_unless_it_is_on_this_computer() {
        for ok in [
            "https://abonnements.btp.fr",
            "http://127.0.0.1:8080",
            "http://localhost:8080",
            "http://[::1]:8080",
        ] {
            assert!(parse_relay_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://abonnements.btp.fr",
            "http://192.168.1.10:8080",
            "ftp://abonnements.btp.fr",
            "https://user:pass@abonnements.btp.fr",
            "https://abonnements.btp.fr/?x=1",
            "file:///etc/passwd",
        ] {
            assert!(parse_relay_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn only_the_relays_own_pages_and_stripes_are_opened() {
        let relay = Url::parse("https://abonnements.btp.fr").unwrap();
        for ok in [
            "https://checkout.stripe.com/c/pay/cs_live_a1",
            "https://billing.stripe.com/p/session/x",
            "https://invoice.stripe.com/i/acct/x",
            "https://abonnements.btp.fr/renew-subscription?link=39.1.ab",
            "https://abonnements.btp.fr/sandbox-stripe/c/pay/cs_test_1",
        ] {
            assert!(openable(ok, &relay).is_ok(), "{ok}");
        }
        for bad in [
            "file:///C:/Windows/System32/calc.exe",
            "\\\\attacker\\share\\x.exe",
            "smb://attacker/share",
            "http://checkout.stripe.com/c/pay/x",
            "https://checkout.stripe.com.evil.example/c/pay/x",
            "https://checkout.stripe.com:8443/c/pay/x",
            "https://user@checkout.stripe.com/c/pay/x",
            "http://abonnements.btp.fr/renew-subscription",
            "https://abonnements.btp.fr:444/x",
            "https://evil.example/",
            "javascript:alert(1)",
        ] {
            assert!(openable(bad, &relay).is_err(), "{bad}");
        }
        let local = Url::parse("http://127.0.0.1:8080").unwrap();
        assert!(
            openable(
                "http://127.0.0.1:8080/sandbox-stripe/c/pay/cs_test_1",
                &local
            )
            .is_ok()
        );
        assert!(openable("http://127.0.0.1:9999/x", &local).is_err());
    }
}

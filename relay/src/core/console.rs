//! The operator console's rules, pure: what state a company is in as the console lists it, who
//! may do what, and when login attempts are refused for a while (what an event did and whether
//! it may be replayed: [`super::journal`]).

use super::{DAY, Timestamp};

/// What an operator may do: `lecture` sees, `admin` acts (refunds, revocations).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Lecture,
    Admin,
}

impl Role {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "lecture" => Some(Self::Lecture),
            "admin" => Some(Self::Admin),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Lecture => "lecture",
            Self::Admin => "admin",
        }
    }

    /// Whether this role may change anything (money, tokens, companies).
    pub fn acts(self) -> bool {
        self == Self::Admin
    }
}

/// A company's state in the console's list, one word for its first column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompanyState {
    /// A chargeback is open on one of its payments.
    Disputed,
    /// Automatic renewal failed to charge; access runs on its grace.
    Unpaid,
    /// Never paid.
    Never,
    Expired,
    /// Less than [`SOON_DAYS`] of access left, and nothing renews it.
    ExpiresSoon,
    /// Stripe renews it.
    AutoRenewal,
    Active,
}

/// Days of access left under which a company that does not renew by itself is « bientôt ».
pub const SOON_DAYS: i64 = 7;

/// A company's stored facts as the console reads them: the projection's stored result
/// (`expires_at`), the renewal's stored state, and whether a dispute is open.
#[derive(Debug, Clone, Default)]
pub struct CompanyFacts {
    pub expires_at: Option<i64>,
    /// Stripe's renewal state as stored: `active`, `past_due`, `canceled` or none.
    pub renewal_state: Option<String>,
    pub cancel_at_period_end: bool,
    pub open_dispute: bool,
}

/// The state the console shows. The most pressing first: a dispute, then a failed charge, then
/// whether access runs at all, then how it goes on.
pub fn company_state(f: &CompanyFacts, now: Timestamp) -> CompanyState {
    let renewal = f.renewal_state.as_deref();
    if f.open_dispute {
        return CompanyState::Disputed;
    }
    let live = f.expires_at.is_some_and(|e| e > now.unix());
    if renewal == Some("past_due") && live {
        return CompanyState::Unpaid;
    }
    match f.expires_at {
        None => CompanyState::Never,
        Some(_) if !live => CompanyState::Expired,
        Some(_) if renewal == Some("active") && !f.cancel_at_period_end => {
            CompanyState::AutoRenewal
        }
        Some(e) if e - now.unix() < SOON_DAYS * DAY => CompanyState::ExpiresSoon,
        Some(_) => CompanyState::Active,
    }
}

impl CompanyState {
    pub const ALL: [Self; 7] = [
        Self::Active,
        Self::AutoRenewal,
        Self::ExpiresSoon,
        Self::Expired,
        Self::Unpaid,
        Self::Disputed,
        Self::Never,
    ];

    /// Its name in the console's filter links (`?etat=…`).
    pub fn slug(self) -> &'static str {
        match self {
            Self::Disputed => "conteste",
            Self::Unpaid => "impaye",
            Self::Never => "jamais-paye",
            Self::Expired => "expire",
            Self::ExpiresSoon => "expire-bientot",
            Self::AutoRenewal => "renouvellement-automatique",
            Self::Active => "actif",
        }
    }

    pub fn from_slug(slug: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.slug() == slug)
    }

    /// What the operator reads.
    pub fn label(self) -> &'static str {
        match self {
            Self::Disputed => "contesté",
            Self::Unpaid => "impayé",
            Self::Never => "jamais payé",
            Self::Expired => "expiré",
            Self::ExpiresSoon => "expire bientôt",
            Self::AutoRenewal => "renouvellement automatique",
            Self::Active => "actif",
        }
    }

    /// The badge's tone (a CSS class): what needs a look stands out.
    pub fn tone(self) -> &'static str {
        match self {
            Self::Disputed | Self::Unpaid | Self::Expired => "bad",
            Self::ExpiresSoon => "warn",
            Self::Never => "muted",
            Self::AutoRenewal | Self::Active => "good",
        }
    }
}

/// Failed logins counted over this window.
pub const FAILURE_WINDOW_SECS: i64 = 15 * 60;
/// Failed logins on one account within the window before it is refused for the rest of it.
pub const MAX_FAILURES_PER_ACCOUNT: i64 = 5;
/// Failed logins from one address within the window (an address may try several accounts).
pub const MAX_FAILURES_PER_ADDRESS: i64 = 20;

/// Whether a login may be tried, given the failures within [`FAILURE_WINDOW_SECS`] on the
/// account and from the address. A refused attempt is not checked at all, so that guessing
/// gets no answer while the limit holds, even with the right password.
pub fn login_allowed(account_failures: i64, address_failures: i64) -> bool {
    account_failures < MAX_FAILURES_PER_ACCOUNT && address_failures < MAX_FAILURES_PER_ADDRESS
}

/// How long an operator's session lasts from login.
pub const SESSION_SECS: i64 = 8 * 3600;

/// A password an operator may choose: 12 characters at least (ANSSI's guidance for a password
/// alone protecting an account), at most 200. The French reason otherwise.
pub fn password_acceptable(password: &str) -> Result<(), &'static str> {
    match password.chars().count() {
        n if n < 12 => Err("le mot de passe doit contenir au moins 12 caractères"),
        n if n > 200 => Err("le mot de passe doit contenir au plus 200 caractères"),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Timestamp = Timestamp::from_unix(1_790_000_000);

    fn facts(expires_in_days: Option<i64>, renewal: Option<&str>) -> CompanyFacts {
        CompanyFacts {
            expires_at: expires_in_days.map(|d| NOW.unix() + d * DAY),
            renewal_state: renewal.map(str::to_owned),
            ..CompanyFacts::default()
        }
    }

    #[test]
    fn a_company_that_never_paid_is_listed_as_such() {
        assert_eq!(company_state(&facts(None, None), NOW), CompanyState::Never);
    }

    #[test]
    fn prepaid_time_is_active_then_soon_then_expired() {
        assert_eq!(
            company_state(&facts(Some(30), None), NOW),
            CompanyState::Active
        );
        assert_eq!(
            company_state(&facts(Some(3), None), NOW),
            CompanyState::ExpiresSoon
        );
        assert_eq!(
            company_state(&facts(Some(-1), None), NOW),
            CompanyState::Expired
        );
    }

    #[test]
    fn a_live_automatic_renewal_is_never_soon_but_one_cancelled_at_period_end_is() {
        assert_eq!(
            company_state(&facts(Some(3), Some("active")), NOW),
            CompanyState::AutoRenewal
        );
        let mut cancelled = facts(Some(3), Some("active"));
        cancelled.cancel_at_period_end = true;
        assert_eq!(company_state(&cancelled, NOW), CompanyState::ExpiresSoon);
    }

    #[test]
    fn a_failed_charge_in_its_grace_is_unpaid_and_after_it_expired() {
        assert_eq!(
            company_state(&facts(Some(5), Some("past_due")), NOW),
            CompanyState::Unpaid
        );
        assert_eq!(
            company_state(&facts(Some(-2), Some("past_due")), NOW),
            CompanyState::Expired
        );
    }

    #[test]
    fn an_open_dispute_comes_before_everything_else() {
        let mut f = facts(Some(-2), Some("past_due"));
        f.open_dispute = true;
        assert_eq!(company_state(&f, NOW), CompanyState::Disputed);
    }

    #[test]
    fn every_state_has_a_slug_that_reads_back() {
        for s in CompanyState::ALL {
            assert_eq!(CompanyState::from_slug(s.slug()), Some(s));
        }
        assert_eq!(CompanyState::from_slug("n'importe"), None);
    }

    #[test]
    fn logins_stop_after_five_failures_on_an_account_or_twenty_from_an_address() {
        assert!(login_allowed(4, 19));
        assert!(!login_allowed(5, 0));
        assert!(!login_allowed(0, 20));
    }

    #[test]
    fn only_admins_act() {
        assert!(Role::parse("admin").unwrap().acts());
        assert!(!Role::parse("lecture").unwrap().acts());
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn a_password_has_twelve_characters_at_least_counted_as_characters() {
        assert!(password_acceptable("court").is_err());
        assert!(password_acceptable("ééééééééééé").is_err(), "11 characters");
        assert!(password_acceptable("échafaudage1").is_ok());
        assert!(password_acceptable(&"x".repeat(201)).is_err());
    }
}

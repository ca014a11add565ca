//! The operator console's rules, pure: what state a company is in as the console lists it, who
//! may do what, and when login attempts are refused for a while.

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

/// What a journalled event did, in three classes, by its outcome's first words (`rejected: …`;
/// `ignored: …` or `already …` for a session that had already ended otherwise; anything else
/// applied something or found it already done). A duplicate delivery is not journalled again:
/// the metrics count those.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutcomeClass {
    Applied,
    Rejected,
    Ignored,
}

impl OutcomeClass {
    pub const ALL: [Self; 3] = [Self::Applied, Self::Rejected, Self::Ignored];

    pub fn of(outcome: &str) -> Self {
        if outcome.starts_with("rejected") {
            Self::Rejected
        } else if outcome.starts_with("ignored")
            || outcome == "duplicate"
            || (outcome.starts_with("already ") && outcome != "already fulfilled")
        {
            Self::Ignored
        } else {
            Self::Applied
        }
    }

    /// Its name in the journal's filter (`?resultat=…`).
    pub fn slug(self) -> &'static str {
        match self {
            Self::Applied => "applique",
            Self::Rejected => "refuse",
            Self::Ignored => "ignore",
        }
    }

    pub fn from_slug(slug: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.slug() == slug)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Applied => "appliqué",
            Self::Rejected => "refusé",
            Self::Ignored => "ignoré",
        }
    }

    pub fn tone(self) -> &'static str {
        match self {
            Self::Applied => "good",
            Self::Rejected => "bad",
            Self::Ignored => "muted",
        }
    }
}

/// Outcomes that refused an event for what it is, not for the relay's state: a payment in the
/// other mode, a session or a customer the relay did not create, metadata that disagrees with
/// what the relay stored. Running the rules again cannot make them right; replaying them is
/// refused. (The texts are [`super::rejection::Rejection`]'s and the mode mismatch's.)
const SECURITY_REJECTIONS: [&str; 5] = [
    "rejected: livemode",
    "rejected: session not created by this relay",
    "rejected: session metadata",
    "rejected: customer not created by this relay",
    "rejected: metadata names client",
];

/// Whether a journalled event may be replayed (« Rejouer »): only a rejected one, and not for a
/// security reason. The French reason otherwise.
pub fn replay_refused(outcome: &str) -> Option<&'static str> {
    if !outcome.starts_with("rejected") {
        return Some("seul un événement refusé se rejoue");
    }
    if SECURITY_REJECTIONS.iter().any(|s| outcome.starts_with(s)) {
        return Some(
            "refus de sécurité : rejouer l'événement ne changerait rien, et ne doit rien changer",
        );
    }
    None
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

    #[test]
    fn only_a_rejection_that_the_relay_s_state_caused_is_replayed() {
        use crate::core::rejection::Rejection;
        assert_eq!(replay_refused("rejected: unknown plan annuel"), None);
        assert_eq!(replay_refused("rejected: unknown client 77"), None);
        for applied in [
            "fulfilled",
            "duplicate",
            "ignored: not ours",
            "renewal paid",
        ] {
            assert!(replay_refused(applied).is_some(), "{applied}");
        }
        let security = [
            Rejection::SessionNotOurs,
            Rejection::CustomerNotOurs,
            Rejection::SessionDisagrees {
                client: Some("40".into()),
                plan: Some("annuel".into()),
                stored_client: "39".into(),
                stored_plan: "mensuel".into(),
            },
            Rejection::CustomerMismatch {
                named: "40".into(),
                holder: "39".into(),
            },
        ];
        for r in security {
            assert!(replay_refused(&format!("rejected: {r}")).is_some(), "{r}");
        }
        use crate::domain::{ModeMismatch, PaymentOrigin};
        for (origin, live) in [(PaymentOrigin::Test, true), (PaymentOrigin::Live, false)] {
            let mismatch = ModeMismatch::check(origin, &[live]).unwrap();
            let text = format!("rejected: {}", mismatch.reason());
            assert!(replay_refused(&text).is_some(), "{text}");
        }
    }

    #[test]
    fn an_outcome_falls_in_one_class_by_its_first_word() {
        let class = OutcomeClass::of;
        assert_eq!(class("fulfilled"), OutcomeClass::Applied);
        assert_eq!(class("renewal paid"), OutcomeClass::Applied);
        assert_eq!(class("already fulfilled"), OutcomeClass::Applied);
        assert_eq!(class("already rejected"), OutcomeClass::Ignored);
        assert_eq!(class("already expired"), OutcomeClass::Ignored);
        assert_eq!(class("rejected: unknown plan"), OutcomeClass::Rejected);
        assert_eq!(class("duplicate"), OutcomeClass::Ignored);
        assert_eq!(class("ignored: not a relay session"), OutcomeClass::Ignored);
        for c in OutcomeClass::ALL {
            assert_eq!(OutcomeClass::from_slug(c.slug()), Some(c));
        }
    }

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

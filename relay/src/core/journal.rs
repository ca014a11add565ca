//! What a journalled Stripe event did, as the console's journal reads it, and whether an
//! operator may replay it (« Rejouer »). Pure: the journal's texts in, classes and reasons out.

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
}

//! Whether a company may open a new checkout, and of which kind: while Stripe renews its
//! subscription no second checkout of either kind is opened (the portal changes card, plan or
//! renewal); automatic renewal needs a plan with an interval; prepaid time left defers the first
//! automatic charge to its end. Every facture names its buyer by SIREN (the e-invoicing reform's
//! BT-47 and BT-49), so a company without one pays nothing until it gives it.

use erp_btp_protocol::RenewalChoice;

use super::Timestamp;
use super::renewal::RenewalRow;

/// Stripe refuses a `trial_end` less than 48 hours away.
pub const MIN_DEFERRAL: i64 = 48 * 3600;

/// Why no checkout of that kind may open now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    SubscriptionLive,
    PlanNotRenewable,
    SirenRequired,
}

impl Refusal {
    pub fn code(self) -> &'static str {
        match self {
            Refusal::SubscriptionLive => "subscription_live",
            Refusal::PlanNotRenewable => "plan_not_renewable",
            Refusal::SirenRequired => "siren_required",
        }
    }

    /// What the admin reads.
    pub fn message(self, plan: &str) -> String {
        match self {
            Refusal::SubscriptionLive => "Votre abonnement se renouvelle déjà automatiquement : pour changer de carte, de formule ou arrêter le renouvellement, passez par « Gérer le paiement » (portail Stripe).".into(),
            Refusal::PlanNotRenewable => format!(
                "Le plan « {plan} » se paie en une fois : choisissez « renewal »: « once »."
            ),
            Refusal::SirenRequired => "Renseignez d'abord le SIREN de votre entreprise (9 chiffres, sur l'extrait Kbis) : chaque facture électronique doit nommer l'entreprise cliente par son SIREN. Les entreprises sans SIREN français ne peuvent pas encore s'abonner.".into(),
        }
    }
}

/// A checkout that may open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Eligible {
    Once,
    /// Automatic renewal, its first charge deferred to the end of prepaid time when some is left.
    Auto {
        first_charge_at: Option<i64>,
    },
}

/// What a new checkout of kind `choice` for a plan (`renewable` when it has an interval) gets,
/// given whether the company's SIREN is on file, its renewal and its prepaid time. Pure.
pub fn eligibility(
    choice: RenewalChoice,
    renewable: bool,
    has_siren: bool,
    renewal: &RenewalRow,
    prepaid_until: Option<i64>,
    now: Timestamp,
) -> Result<Eligible, Refusal> {
    if renewal.is_live() {
        return Err(Refusal::SubscriptionLive);
    }
    if !has_siren {
        return Err(Refusal::SirenRequired);
    }
    match choice {
        RenewalChoice::Once => Ok(Eligible::Once),
        RenewalChoice::Auto if !renewable => Err(Refusal::PlanNotRenewable),
        RenewalChoice::Auto => Ok(Eligible::Auto {
            first_charge_at: prepaid_until.filter(|e| *e >= now.unix() + MIN_DEFERRAL),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use erp_btp_protocol::RenewalState;

    const NOW: Timestamp = Timestamp::from_unix(1_790_000_000);
    const T: i64 = NOW.unix();

    fn renewal(state: Option<RenewalState>) -> RenewalRow {
        RenewalRow {
            subscription_id: state.map(|_| "sub_1".into()),
            state,
            ..Default::default()
        }
    }

    #[test]
    fn a_live_subscription_refuses_every_new_checkout() {
        for state in [RenewalState::Active, RenewalState::PastDue] {
            for choice in [RenewalChoice::Once, RenewalChoice::Auto] {
                assert_eq!(
                    eligibility(choice, true, true, &renewal(Some(state)), None, NOW),
                    Err(Refusal::SubscriptionLive)
                );
            }
        }
    }

    #[test]
    fn an_expired_or_cancelled_company_may_pay_either_way() {
        for row in [renewal(None), renewal(Some(RenewalState::Canceled))] {
            assert_eq!(
                eligibility(RenewalChoice::Once, true, true, &row, Some(T - 10), NOW),
                Ok(Eligible::Once)
            );
            assert_eq!(
                eligibility(RenewalChoice::Auto, true, true, &row, Some(T - 10), NOW),
                Ok(Eligible::Auto {
                    first_charge_at: None
                })
            );
        }
    }

    #[test]
    fn prepaid_time_defers_the_first_charge_when_stripe_allows_it() {
        let none = renewal(None);
        let auto = |prepaid| eligibility(RenewalChoice::Auto, true, true, &none, prepaid, NOW);
        assert_eq!(
            auto(Some(T + 10 * 86_400)),
            Ok(Eligible::Auto {
                first_charge_at: Some(T + 10 * 86_400)
            })
        );
        assert_eq!(
            auto(Some(T + MIN_DEFERRAL - 1)),
            Ok(Eligible::Auto {
                first_charge_at: None
            }),
            "less than 48 hours left: charged now"
        );
    }

    #[test]
    fn automatic_renewal_needs_a_plan_with_an_interval() {
        assert_eq!(
            eligibility(RenewalChoice::Auto, false, true, &renewal(None), None, NOW),
            Err(Refusal::PlanNotRenewable)
        );
        assert!(
            Refusal::PlanNotRenewable
                .message("decennal")
                .contains("« decennal »")
        );
    }

    #[test]
    fn a_company_without_a_siren_may_not_pay_either_way() {
        for choice in [RenewalChoice::Once, RenewalChoice::Auto] {
            assert_eq!(
                eligibility(choice, true, false, &renewal(None), None, NOW),
                Err(Refusal::SirenRequired)
            );
        }
        assert_eq!(
            eligibility(
                RenewalChoice::Once,
                true,
                false,
                &renewal(Some(RenewalState::Active)),
                None,
                NOW
            ),
            Err(Refusal::SubscriptionLive),
            "a live subscription is the first thing to say"
        );
    }
}

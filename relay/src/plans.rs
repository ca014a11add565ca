//! Plans are data: the contract's table by default, replaced by a JSON file named in
//! `RELAY_PLANS_FILE` (`{"plans": [...]}`, same shape as `GET /api/stripe/plans`).

use std::path::Path;

use erp_btp_protocol::{Interval, Plan, PlansResponse, fr};

#[derive(Debug, Clone)]
pub struct Catalogue {
    plans: Vec<Plan>,
}

impl Default for Catalogue {
    fn default() -> Self {
        let plan = |id: &str, name: &str, price_cents, duration_days, features: &[&str]| Plan {
            interval: Some(if duration_days == 30 {
                Interval::Month
            } else {
                Interval::Year
            }),
            id: id.into(),
            name: name.into(),
            price_cents,
            currency: "eur".into(),
            duration_days,
            features: features.iter().map(|f| f.to_string()).collect(),
        };
        Self {
            plans: vec![
                plan(
                    "mensuel",
                    "Mensuel",
                    4900,
                    30,
                    &["Accès complet", "Support prioritaire"],
                ),
                plan(
                    "annuel",
                    "Annuel",
                    49900,
                    365,
                    &["Accès complet", "Support prioritaire", "2 mois offerts"],
                ),
            ],
        }
    }
}

impl Catalogue {
    pub fn load(path: Option<&Path>) -> Result<Self, String> {
        let Some(path) = path else {
            return Ok(Self::default());
        };
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("RELAY_PLANS_FILE {} illisible : {e}", path.display()))?;
        let parsed: PlansResponse = serde_json::from_str(&text).map_err(|e| {
            format!(
                "RELAY_PLANS_FILE {} n'est pas un JSON {{\"plans\": [...]}} valide : {e}",
                path.display()
            )
        })?;
        Self::new(parsed.plans).map_err(|e| format!("RELAY_PLANS_FILE {} : {e}", path.display()))
    }

    pub fn new(plans: Vec<Plan>) -> Result<Self, String> {
        if plans.is_empty() {
            return Err("aucun plan".into());
        }
        for (i, p) in plans.iter().enumerate() {
            if p.id.is_empty() || plans[..i].iter().any(|q| q.id == p.id) {
                return Err(format!(
                    "identifiant de plan vide ou en double : « {} »",
                    p.id
                ));
            }
            if p.price_cents <= 0 || p.duration_days <= 0 {
                return Err(format!(
                    "le plan {} doit avoir un prix et une durée positifs",
                    p.id
                ));
            }
            if p.currency != "eur" {
                return Err(format!("le plan {} doit être en eur", p.id));
            }
        }
        Ok(Self { plans })
    }

    pub fn all(&self) -> &[Plan] {
        &self.plans
    }

    pub fn get(&self, id: &str) -> Option<&Plan> {
        self.plans.iter().find(|p| p.id == id)
    }
}

/// « 49 € / mois », « 499 € / an »: a price as a French reader expects it.
pub fn price_label(plan: &Plan) -> String {
    let period = match plan.duration_days {
        28..=31 => " / mois".to_owned(),
        365 | 366 => " / an".to_owned(),
        d => format!(" / {d} jours"),
    };
    format!("{}{period}", fr::euros(plan.price_cents))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_plans_are_the_contracts() {
        let c = Catalogue::default();
        assert_eq!(c.get("mensuel").unwrap().price_cents, 4900);
        assert_eq!(c.get("annuel").unwrap().duration_days, 365);
        assert!(c.get("hebdo").is_none());
        assert_eq!(price_label(c.get("mensuel").unwrap()), "49\u{a0}€ / mois");
        assert_eq!(price_label(c.get("annuel").unwrap()), "499\u{a0}€ / an");
    }

    #[test]
    fn invalid_catalogues_are_refused() {
        let mut plans = Catalogue::default().all().to_vec();
        plans[1].id = "mensuel".into();
        assert!(Catalogue::new(plans).is_err());
        assert!(Catalogue::new(vec![]).is_err());
    }
}

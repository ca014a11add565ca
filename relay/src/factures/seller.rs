//! The seller named on every facture, read from `SELLER_*` variables. In production the relay
//! refuses to start without all of them (`relay doctor` lists what is missing); in development a
//! clearly fictitious demonstration seller fills the gaps, so that a tester sees complete factures.

use crate::siren::Siren;

/// The seller's identity, as printed on the facture and carried in its XML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seller {
    pub name: String,
    /// « SAS », « SARL »…
    pub legal_form: String,
    /// « 10 000 € ».
    pub capital: String,
    pub address: String,
    pub postal_code: String,
    pub city: String,
    /// ISO 3166 alpha-2.
    pub country: String,
    pub siren: Siren,
    /// « RCS Lyon ».
    pub rcs: String,
    pub vat: String,
    /// « trois fois le taux d'intérêt légal ».
    pub penalty_rate: String,
    /// `SELLER_VAT_ON_DEBITS=true`: the seller opted to pay VAT on debits (CGI art. 269, 2, c),
    /// which every facture says, and VAT falls due at issue (BT-8 = 5) rather than when paid.
    pub vat_on_debits: bool,
}

/// (variable, what it is, demonstration value).
const VARIABLES: [(&str, &str, &str); 10] = [
    ("SELLER_NAME", "raison sociale", "ERP BTP Démo"),
    ("SELLER_LEGAL_FORM", "forme juridique", "SAS"),
    ("SELLER_CAPITAL", "capital social", "10 000 €"),
    ("SELLER_ADDRESS", "adresse", "1 rue de la Démonstration"),
    ("SELLER_POSTAL_CODE", "code postal", "69001"),
    ("SELLER_CITY", "ville", "Lyon"),
    ("SELLER_SIREN", "SIREN", "732829320"),
    ("SELLER_RCS", "RCS et sa ville", "RCS Lyon"),
    (
        "SELLER_VAT",
        "numéro de TVA intracommunautaire",
        "FR44732829320",
    ),
    (
        "SELLER_PENALTY_RATE",
        "taux des pénalités de retard",
        "trois fois le taux d'intérêt légal",
    ),
];

/// What is wrong with the seller's configuration, one French phrase per variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SellerProblems(pub Vec<String>);

impl Seller {
    /// Reads `SELLER_*` (and `SELLER_COUNTRY`, default `FR`). With `demo`, a missing variable
    /// takes its demonstration value; a present but invalid one is always a problem.
    pub fn from_lookup(
        get: &impl Fn(&str) -> Option<String>,
        demo: bool,
    ) -> Result<Self, SellerProblems> {
        let mut problems = Vec::new();
        let mut values = VARIABLES.map(|(var, what, demo_value)| match get(var) {
            Some(v) => v.trim().to_string(),
            None if demo => demo_value.to_string(),
            None => {
                problems.push(format!("{var} manquant ({what})"));
                String::new()
            }
        });
        let [
            name,
            legal_form,
            capital,
            address,
            postal_code,
            city,
            siren,
            rcs,
            vat,
            penalty_rate,
        ] = std::mem::take(&mut values);
        let vat: String = vat.chars().filter(|c| !c.is_whitespace()).collect();
        let parsed = match Siren::parse(&siren) {
            Ok(s) => Some(s),
            Err(_) if siren.is_empty() => None,
            Err(e) => {
                problems.push(format!("SELLER_SIREN : {e}"));
                None
            }
        };
        if let Some(s) = parsed
            .as_ref()
            .filter(|s| !vat.is_empty() && !s.owns_vat(&vat))
        {
            problems.push(format!(
                "SELLER_VAT ne correspond pas au SIREN {s} (attendu : {})",
                s.vat_number()
            ));
        }
        if !problems.is_empty() {
            return Err(SellerProblems(problems));
        }
        Ok(Self {
            name,
            legal_form,
            capital,
            address,
            postal_code,
            city,
            country: get("SELLER_COUNTRY").unwrap_or_else(|| "FR".into()),
            siren: parsed.expect("checked above"),
            rcs,
            vat,
            penalty_rate,
            vat_on_debits: get("SELLER_VAT_ON_DEBITS").is_some_and(|v| v.trim() == "true"),
        })
    }

    /// « SAS au capital de 10 000 € · RCS Lyon 732 829 320 ».
    pub fn legal_line(&self) -> String {
        format!(
            "{} au capital de {} · {} {}",
            self.legal_form,
            self.capital,
            self.rcs,
            self.siren.spaced()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    }

    #[test]
    fn production_lists_every_missing_variable() {
        let problems = Seller::from_lookup(&lookup(&[("SELLER_NAME", "Dupont")]), false)
            .unwrap_err()
            .0;
        assert_eq!(problems.len(), 9, "{problems:?}");
        assert!(problems[0].starts_with("SELLER_LEGAL_FORM manquant"));
    }

    #[test]
    fn development_fills_in_a_demonstration_seller_that_is_itself_valid() {
        let seller = Seller::from_lookup(&lookup(&[]), true).unwrap();
        assert_eq!(seller.name, "ERP BTP Démo");
        assert_eq!(
            seller.legal_line(),
            "SAS au capital de 10 000 € · RCS Lyon 732 829 320"
        );
    }

    #[test]
    fn a_wrong_siren_or_a_vat_number_of_another_company_is_refused_even_in_development() {
        let bad = Seller::from_lookup(&lookup(&[("SELLER_SIREN", "732829321")]), true);
        assert!(bad.unwrap_err().0[0].starts_with("SELLER_SIREN : SIREN"));
        let other = Seller::from_lookup(&lookup(&[("SELLER_VAT", "FR00732829320")]), true);
        assert!(other.unwrap_err().0[0].starts_with("SELLER_VAT ne correspond pas"));
    }
}

//! The platform's French page: every flow it holds, newest first, with its acknowledgement and,
//! for an invoice, the statuses it went through, so that a tester sees what the relay sent.

use axum::extract::State;
use axum::response::Html;

use crate::PaSandbox;
use crate::lifecycle::label;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

pub async fn index(State(pa): State<PaSandbox>) -> Html<String> {
    let mut flows = pa.flows();
    flows.sort_by(|a, b| b.updated_at.cmp(&a.updated_at));
    let mut rows = String::new();
    for f in &flows {
        let statuses: Vec<String> = f
            .statuses
            .iter()
            .map(|(code, reason)| match reason {
                Some(r) => format!("{code} {} ({})", label(*code), esc(r)),
                None => format!("{code} {}", label(*code)),
            })
            .collect();
        let ack = match f.ack_status.as_str() {
            "Ok" => "Accepté".to_owned(),
            "Error" => format!("Refusé : {}", esc(&f.ack_reasons.join(", "))),
            _ => "En cours".to_owned(),
        };
        rows.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&f.updated_at),
            if f.direction == "Out" { "Reçu du vendeur" } else { "Envoyé au vendeur" },
            match f.flow_type.as_str() {
                "CustomerInvoice" => "Facture",
                "CustomerInvoiceLC" => "Statut de cycle de vie",
                other => other,
            },
            esc(f.tracking_id.as_deref().unwrap_or("—")),
            esc(&f.syntax),
            ack,
            statuses.join(" → "),
        ));
    }
    if rows.is_empty() {
        rows = "<tr><td colspan=\"7\">Aucun flux reçu pour l'instant.</td></tr>".into();
    }
    Html(format!(
        "<!doctype html><html lang=\"fr\"><head><meta charset=\"utf-8\"><title>Plateforme agréée simulée</title>\
<style>body{{font-family:system-ui,sans-serif;margin:2rem;color:#1f2933}}table{{border-collapse:collapse;width:100%}}\
td,th{{border-bottom:1px solid #d9dee3;padding:.4rem .6rem;text-align:left;font-size:.9rem}}th{{background:#f1f4f7}}\
.note{{background:#fff7e0;border:1px solid #f0c36d;padding:.6rem 1rem;border-radius:6px}}</style></head><body>\
<h1>Plateforme agréée simulée (XP Z12-013)</h1>\
<p class=\"note\">Bac à sable : aucune facture n'est transmise à l'administration fiscale. \
Les SIREN d'acheteur 213 000 003, 210 000 006 et 205 000 003 font rejeter, refuser ou approuver la facture ; \
l'annuaire adresse le SIREN 302 000 005 à « 302000005_FACTURES ».</p>\
<table><thead><tr><th>Mis à jour (UTC)</th><th>Sens</th><th>Type</th><th>Référence</th><th>Syntaxe</th><th>Accusé</th><th>Statuts</th></tr></thead>\
<tbody>{rows}</tbody></table></body></html>"
    ))
}

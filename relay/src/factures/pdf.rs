//! The facture (or avoir) a person reads: one A4 page in French with every mention a B2B
//! invoice carries, written by krilla as PDF/A-3b (fonts embedded and subset, with fallbacks so that any text
//! renders: see [`super::fonts`]; sRGB output intent) with the CII
//! XML embedded as `factur-x.xml` (relationship `Alternative`, as Factur-X asks in France), then
//! given Factur-X's XMP metadata by [`super::xmp`].

use krilla::configure::{Archival, ConfigurationBuilder};
use krilla::embed::{AssociationKind, EmbeddedFile, MimeType};
use krilla::metadata::{DateTime, Metadata};
use krilla::page::PageSettings;
use krilla::surface::Surface;
use krilla::{Document, SerializeSettings};

use super::cii::{NO_DISCOUNT, PENALTY_NOTE_FIXED, Wording};
use super::fonts::Face;
use super::pen::{Pen, lines, rect, right, text, wrap};
use super::{DocumentKind, Facture, Seller, short_date};

const WIDTH: f32 = 595.0;
const HEIGHT: f32 = 842.0;
const LEFT: f32 = 50.0;
const RIGHT: f32 = WIDTH - 50.0;
const INK: (u8, u8, u8) = (33, 37, 41);
const MUTED: (u8, u8, u8) = (90, 98, 106);
const ACCENT: (u8, u8, u8) = (25, 84, 166);

#[derive(Debug, thiserror::Error)]
#[error("the facture could not be written as PDF/A-3: {0}")]
pub struct PdfError(String);

impl PdfError {
    pub fn new(why: String) -> Self {
        Self(why)
    }
}

/// The Factur-X PDF of `f`, embedding `xml`.
pub fn render(
    f: &Facture,
    seller: &Seller,
    plan_name: &str,
    xml: &str,
) -> Result<Vec<u8>, PdfError> {
    let configuration = ConfigurationBuilder::new()
        .with_archival_validator(Archival::A3_B)
        .finish()
        .map_err(|e| PdfError(format!("{e:?}")))?;
    let mut doc = Document::new_with(SerializeSettings {
        configuration,
        ..Default::default()
    });
    let issued = date_time(f.issued_at);
    doc.set_metadata(
        Metadata::new()
            .title(match f.kind {
                DocumentKind::Facture => format!("Facture {}", f.number()),
                DocumentKind::Avoir { .. } => format!("Avoir {}", f.number()),
            })
            .authors(vec![seller.name.clone()])
            .creator("ERP BTP relay".into())
            .language("fr-FR".into())
            .creation_date(issued),
    );
    let mut page = doc.start_page_with(PageSettings::from_wh(WIDTH, HEIGHT).expect("A4"));
    let mut s = page.surface();
    draw(&mut s, f, seller, plan_name);
    s.finish();
    page.finish();
    doc.embed_file(EmbeddedFile {
        path: "factur-x.xml".into(),
        mime_type: MimeType::new("text/xml"),
        description: Some("Factur-X EN 16931 invoice".into()),
        association_kind: AssociationKind::Alternative,
        data: xml.as_bytes().to_vec().into(),
        modification_date: Some(issued),
        compress: Some(true),
        location: None,
    })
    .ok_or_else(|| PdfError("factur-x.xml embedded twice".into()))?;
    let pdf = doc.finish().map_err(|e| PdfError(e.to_string()))?;
    super::xmp::add_factur_x(pdf).map_err(PdfError)
}

fn draw(s: &mut Surface, f: &Facture, seller: &Seller, plan_name: &str) {
    let (regular, bold) = (Face::Regular, Face::Bold);
    let words = Wording::new(f, seller, plan_name);
    let (net, tax) = f.split();
    // Seller, top left; number and dates, top right.
    text(s, Pen::new(bold, 15.0, INK), LEFT, 60.0, &seller.name);
    let seller_lines = [
        seller.legal_line(),
        seller.address.clone(),
        format!("{} {}", seller.postal_code, seller.city),
        format!("SIREN {} · TVA {}", seller.siren.spaced(), seller.vat),
    ];
    lines(s, Pen::new(regular, 9.0, MUTED), LEFT, 76.0, &seller_lines);
    right(s, Pen::new(bold, 22.0, ACCENT), RIGHT, 62.0, words.title);
    right(
        s,
        Pen::new(bold, 11.0, INK),
        RIGHT,
        82.0,
        &format!("N° {}", f.number()),
    );
    right(
        s,
        Pen::new(regular, 9.0, INK),
        RIGHT,
        97.0,
        &format!("Date d'émission : {}", short_date(f.issued_at)),
    );
    if let DocumentKind::Avoir {
        corrects,
        corrects_issued_at,
        ..
    } = &f.kind
    {
        let of = format!(
            "Facture corrigée : {corrects} du {}",
            short_date(*corrects_issued_at)
        );
        right(s, Pen::new(regular, 9.0, INK), RIGHT, 110.0, &of);
    }
    // Buyer.
    text(s, Pen::new(bold, 9.0, MUTED), 330.0, 150.0, "FACTURÉ À");
    let b = &f.buyer;
    let mut buyer = vec![f.buyer_name.clone()];
    buyer.extend(b.line1.clone());
    buyer.extend(b.line2.clone());
    let city = [b.postal_code.clone(), b.city.clone()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>();
    if !city.is_empty() {
        buyer.push(city.join(" "));
    }
    buyer.extend(
        f.buyer_siren
            .as_deref()
            .map(|s| format!("SIREN {}", erp_btp_protocol::fr::siren(s))),
    );
    buyer.extend(b.vat.as_ref().map(|v| format!("TVA {v}")));
    text(s, Pen::new(bold, 11.0, INK), 330.0, 166.0, &buyer[0]);
    lines(s, Pen::new(regular, 9.0, INK), 330.0, 181.0, &buyer[1..]);
    // The line.
    let top = 270.0;
    rect(s, LEFT, top, RIGHT - LEFT, 22.0, (234, 240, 248));
    let cols = [
        (LEFT + 8.0, "Désignation"),
        (350.0, "Qté"),
        (410.0, "PU HT"),
        (460.0, "TVA"),
    ];
    for (x, label) in cols {
        text(s, Pen::new(bold, 9.0, INK), x, top + 15.0, label);
    }
    right(
        s,
        Pen::new(bold, 9.0, INK),
        RIGHT - 8.0,
        top + 15.0,
        "Total HT",
    );
    let row = top + 40.0;
    text(
        s,
        Pen::new(regular, 10.0, INK),
        LEFT + 8.0,
        row,
        &words.designation,
    );
    let period = format!(
        "Période du {} au {}",
        short_date(f.period.0),
        short_date(f.period.1)
    );
    text(
        s,
        Pen::new(regular, 9.0, MUTED),
        LEFT + 8.0,
        row + 14.0,
        &period,
    );
    text(s, Pen::new(regular, 10.0, INK), 350.0, row, "1");
    text(s, Pen::new(regular, 10.0, INK), 410.0, row, &euros(net));
    text(s, Pen::new(regular, 10.0, INK), 460.0, row, "20 %");
    right(
        s,
        Pen::new(regular, 10.0, INK),
        RIGHT - 8.0,
        row,
        &euros(net),
    );
    rule(s, row + 26.0);
    // Totals.
    let totals = [
        ("Total HT", euros(net)),
        ("TVA 20 %", euros(tax)),
        ("Total TTC", euros(f.total_cents)),
        (paid_label(f), euros(f.total_cents)),
        (due_label(f), euros(0)),
    ];
    for (i, (label, value)) in totals.iter().enumerate() {
        let y = row + 50.0 + 16.0 * i as f32;
        let font = if i == 2 { bold } else { regular };
        text(s, Pen::new(font, 10.0, INK), 360.0, y, label);
        right(s, Pen::new(font, 10.0, INK), RIGHT - 8.0, y, value);
    }
    // Payment and the mentions the law asks for.
    let y = row + 150.0;
    let paid_lines = wrap(
        s,
        Pen::new(bold, 10.0, ACCENT),
        LEFT,
        y,
        RIGHT - LEFT,
        &words.paid,
    );
    let y = y + (paid_lines - 1) as f32 * 15.5;
    let terms = match &words.correction {
        Some(correction) => correction.clone(),
        None => "Conditions de paiement : paiement à la commande, par carte bancaire.".to_owned(),
    };
    let category = match seller.vat_on_debits {
        true => {
            "Catégorie de l'opération : prestation de services. Option pour le paiement de la taxe d'après les débits."
        }
        false => "Catégorie de l'opération : prestation de services.",
    };
    let mentions = [
        category.to_owned(),
        terms,
        words.penalties.clone(),
        PENALTY_NOTE_FIXED.to_owned(),
        NO_DISCOUNT.to_owned(),
        format!(
            "Période de service du {} au {} ; date d'émission le {} (heure de Paris).",
            short_date(f.period.0),
            short_date(f.period.1),
            short_date(f.issued_at)
        ),
    ];
    lines(s, Pen::new(regular, 9.0, INK), LEFT, y + 22.0, &mentions);
    let footer = format!(
        "{} · {} · Facture électronique Factur-X (profil EN 16931) : le fichier factur-x.xml joint fait foi pour les logiciels comptables.",
        seller.name,
        seller.legal_line()
    );
    wrap(
        s,
        Pen::new(regular, 7.5, MUTED),
        LEFT,
        HEIGHT - 50.0,
        RIGHT - LEFT,
        &footer,
    );
}

fn paid_label(f: &Facture) -> &'static str {
    match f.kind {
        DocumentKind::Facture => "Déjà payé",
        DocumentKind::Avoir { .. } => "Déjà remboursé",
    }
}

fn due_label(f: &Facture) -> &'static str {
    match f.kind {
        DocumentKind::Facture => "Net à payer",
        DocumentKind::Avoir { .. } => "Reste à rembourser",
    }
}

fn euros(cents: i64) -> String {
    format!("{},{:02} €", group(cents / 100), cents % 100)
}

/// « 1 234 » with a narrow no-break space, as French amounts are grouped.
fn group(n: i64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('\u{202f}');
        }
        out.push(c);
    }
    out
}

fn rule(s: &mut Surface, y: f32) {
    rect(s, LEFT, y, RIGHT - LEFT, 0.6, (200, 205, 212));
}

fn date_time(ts: i64) -> DateTime {
    use chrono::{Datelike, Timelike};
    let t = chrono::DateTime::from_timestamp(ts, 0).unwrap_or_default();
    DateTime::new(t.year() as u16)
        .month(t.month() as u8)
        .day(t.day() as u8)
        .hour(t.hour() as u8)
        .minute(t.minute() as u8)
        .second(t.second() as u8)
        .utc_offset_hour(0)
        .utc_offset_minute(0)
}

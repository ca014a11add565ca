//! Factur-X's XMP metadata (document type, file name, version, conformance level, and the PDF/A
//! extension schema that declares them), which krilla has no way to write: added to krilla's
//! own XMP packet as an incremental update, the PDF mechanism for amending a file (a new
//! version of the metadata object, a one-entry cross-reference section, a trailer with `/Prev`),
//! so that nothing krilla wrote is rewritten or shifted.

const FX_NS: &str = "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#";

/// `pdf` with its XMP metadata carrying the Factur-X EN 16931 properties.
pub fn add_factur_x(mut pdf: Vec<u8>) -> Result<Vec<u8>, String> {
    let text = String::from_utf8_lossy(&pdf).into_owned();
    let begin = text.find("<?xpacket begin").ok_or("no XMP packet")?;
    let end = text[begin..]
        .find("<?xpacket end=")
        .map(|i| begin + i)
        .ok_or("unterminated XMP packet")?;
    let end = end + text[end..].find("?>").ok_or("unterminated XMP packet")? + 2;
    let packet = &text[begin..end];
    let meta_obj = number_after(&text, "/Metadata ").ok_or("no /Metadata in the catalog")?;
    let trailer_at = text.rfind("trailer").ok_or("no trailer")?;
    let open = trailer_at
        + text[trailer_at..]
            .find("<<")
            .ok_or("no trailer dictionary")?;
    let close = open + text[open..].rfind(">>").ok_or("no trailer dictionary")?;
    let trailer = &text[open + 2..close];
    let prev = number_after(&text[trailer_at..], "startxref").ok_or("no startxref")?;

    let xmp = with_factur_x(packet)?;
    let mut tail = String::new();
    tail.push('\n');
    let object_at = pdf.len() + tail.len();
    tail.push_str(&format!(
        "{meta_obj} 0 obj\n<< /Type /Metadata /Subtype /XML /Length {} >>\nstream\n{xmp}\nendstream\nendobj\n",
        xmp.len()
    ));
    let xref_at = pdf.len() + tail.len();
    tail.push_str(&format!(
        "xref\n0 1\n0000000000 65535 f\r\n{meta_obj} 1\n{object_at:010} 00000 n\r\ntrailer\n<<{} /Prev {prev} >>\nstartxref\n{xref_at}\n%%EOF\n",
        trailer.trim_end()
    ));
    pdf.extend_from_slice(tail.as_bytes());
    Ok(pdf)
}

/// The first number that follows `key` (and spaces) in `text`, e.g. `/Metadata 12 0 R` → 12
/// (skipping `/Type /Metadata`, which no number follows).
fn number_after(text: &str, key: &str) -> Option<u64> {
    text.match_indices(key).find_map(|(at, _)| {
        let digits: String = text[at + key.len()..]
            .trim_start()
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse().ok()
    })
}

/// krilla's packet with the Factur-X properties and their extension schema inside its RDF.
fn with_factur_x(packet: &str) -> Result<String, String> {
    let rdf_end = packet
        .rfind("</rdf:RDF>")
        .ok_or("no rdf:RDF in the XMP packet")?;
    let properties = [
        ("DocumentFileName", "The name of the embedded XML document"),
        ("DocumentType", "The type of the hybrid document in capital letters, e.g. INVOICE or ORDER"),
        ("Version", "The actual version of the standard applying to the embedded XML document"),
        ("ConformanceLevel", "The conformance level of the embedded XML document"),
    ]
    .map(|(name, description)| {
        format!(
            "<rdf:li rdf:parseType=\"Resource\"><pdfaProperty:name>{name}</pdfaProperty:name><pdfaProperty:valueType>Text</pdfaProperty:valueType><pdfaProperty:category>external</pdfaProperty:category><pdfaProperty:description>{description}</pdfaProperty:description></rdf:li>"
        )
    })
    .concat();
    let schema = format!(
        "<rdf:li rdf:parseType=\"Resource\"><pdfaSchema:schema>Factur-X PDFA Extension Schema</pdfaSchema:schema><pdfaSchema:namespaceURI>{FX_NS}</pdfaSchema:namespaceURI><pdfaSchema:prefix>fx</pdfaSchema:prefix><pdfaSchema:property><rdf:Seq>{properties}</rdf:Seq></pdfaSchema:property></rdf:li>"
    );
    let fx = format!(
        "<rdf:Description rdf:about=\"\" xmlns:fx=\"{FX_NS}\"><fx:DocumentType>INVOICE</fx:DocumentType><fx:DocumentFileName>factur-x.xml</fx:DocumentFileName><fx:Version>1.0</fx:Version><fx:ConformanceLevel>EN 16931</fx:ConformanceLevel></rdf:Description>"
    );
    let mut out = packet[..rdf_end].to_owned();
    // krilla declares its own extension schemas for some standards: join them, never two lists.
    if let Some(bag) = out.find("<pdfaExtension:schemas><rdf:Bag>") {
        out.insert_str(bag + "<pdfaExtension:schemas><rdf:Bag>".len(), &schema);
        out.push_str(&fx);
    } else {
        out.push_str(&fx);
        out.push_str(&format!(
            "<rdf:Description rdf:about=\"\" xmlns:pdfaExtension=\"http://www.aiim.org/pdfa/ns/extension/\" xmlns:pdfaSchema=\"http://www.aiim.org/pdfa/ns/schema#\" xmlns:pdfaProperty=\"http://www.aiim.org/pdfa/ns/property#\"><pdfaExtension:schemas><rdf:Bag>{schema}</rdf:Bag></pdfaExtension:schemas></rdf:Description>"
        ));
    }
    out.push_str(&packet[rdf_end..]);
    Ok(out)
}

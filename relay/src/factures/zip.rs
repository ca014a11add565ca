//! A ZIP archive written as it goes, for the console's download of the accountant's export:
//! entries stored without compression (PDFs are already compressed; the XML and CSV are small),
//! names in UTF-8 (flag bit 11), the CRC-32 of each, and the central directory at the end
//! (APPNOTE 6.3.10, sections 4.3 and 4.4). No ZIP64: an archive past 4 GiB is refused with an
//! error rather than written wrong, and the operator exports a month at a time instead.

use std::io::{self, Write};

/// Past this, offsets and sizes need ZIP64.
const LIMIT: u64 = u32::MAX as u64;

pub struct ZipWriter<W: Write> {
    out: W,
    written: u64,
    entries: Vec<Entry>,
    /// The DOS time and date stamped on every entry.
    stamp: (u16, u16),
}

struct Entry {
    name: String,
    crc: u32,
    size: u32,
    offset: u32,
}

impl<W: Write> ZipWriter<W> {
    /// An archive whose entries are dated `(year, month, day, hour, minute)` (local time).
    pub fn new(out: W, (year, month, day, hour, minute): (u16, u16, u16, u16, u16)) -> Self {
        let date = (year.saturating_sub(1980) << 9) | (month << 5) | day;
        let time = (hour << 11) | (minute << 5);
        Self {
            out,
            written: 0,
            entries: Vec::new(),
            stamp: (time, date),
        }
    }

    /// Adds file `name` holding `bytes`.
    pub fn add(&mut self, name: &str, bytes: &[u8]) -> io::Result<()> {
        let header = 30 + name.len() as u64;
        if self.written + header + bytes.len() as u64 > LIMIT {
            return Err(too_big());
        }
        let entry = Entry {
            name: name.to_owned(),
            crc: crc32fast::hash(bytes),
            size: bytes.len() as u32,
            offset: self.written as u32,
        };
        let mut h = Vec::with_capacity(header as usize);
        h.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        self.common(&mut h, &entry);
        h.extend_from_slice(name.as_bytes());
        self.put(&h)?;
        self.put(bytes)?;
        self.entries.push(entry);
        Ok(())
    }

    /// Writes the central directory and returns the output.
    pub fn finish(mut self) -> io::Result<W> {
        let start = self.written;
        let mut d = Vec::new();
        for e in &self.entries {
            d.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
            d.extend_from_slice(&20u16.to_le_bytes()); // made by: MS-DOS attributes, 2.0
            self.common(&mut d, e);
            d.extend_from_slice(&[0; 6]); // comment length, disk, internal attributes
            d.extend_from_slice(&0u32.to_le_bytes()); // external attributes
            d.extend_from_slice(&e.offset.to_le_bytes());
            d.extend_from_slice(e.name.as_bytes());
        }
        if start + d.len() as u64 + 22 > LIMIT || self.entries.len() > usize::from(u16::MAX) {
            return Err(too_big());
        }
        let count = self.entries.len() as u16;
        d.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
        d.extend_from_slice(&[0; 4]); // this disk, the directory's disk
        d.extend_from_slice(&count.to_le_bytes());
        d.extend_from_slice(&count.to_le_bytes());
        d.extend_from_slice(&((d.len() - 12) as u32).to_le_bytes());
        d.extend_from_slice(&(start as u32).to_le_bytes());
        d.extend_from_slice(&0u16.to_le_bytes()); // comment length
        self.put(&d)?;
        self.out.flush()?;
        Ok(self.out)
    }

    /// The fields a local header and a directory entry share, from « version needed » on.
    fn common(&self, h: &mut Vec<u8>, e: &Entry) {
        h.extend_from_slice(&20u16.to_le_bytes()); // version needed: 2.0
        h.extend_from_slice(&(1u16 << 11).to_le_bytes()); // UTF-8 names
        h.extend_from_slice(&0u16.to_le_bytes()); // stored
        h.extend_from_slice(&self.stamp.0.to_le_bytes());
        h.extend_from_slice(&self.stamp.1.to_le_bytes());
        h.extend_from_slice(&e.crc.to_le_bytes());
        h.extend_from_slice(&e.size.to_le_bytes()); // compressed size
        h.extend_from_slice(&e.size.to_le_bytes());
        h.extend_from_slice(&(e.name.len() as u16).to_le_bytes());
        h.extend_from_slice(&0u16.to_le_bytes()); // extra field length
    }

    fn put(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.out.write_all(bytes)?;
        self.written += bytes.len() as u64;
        Ok(())
    }
}

fn too_big() -> io::Error {
    io::Error::other("archive de plus de 4 Go : exportez un mois à la fois")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_archive_has_its_entries_their_crc_and_a_directory_at_the_end() {
        let mut zip = ZipWriter::new(Vec::new(), (2026, 12, 7, 14, 30));
        zip.add("FA-2026-000001.pdf", b"%PDF-1.7").unwrap();
        zip.add("factures-2026.csv", "numéro;é\r\n".as_bytes())
            .unwrap();
        let bytes = zip.finish().unwrap();
        assert_eq!(&bytes[..4], b"PK\x03\x04");
        let end = &bytes[bytes.len() - 22..];
        assert_eq!(&end[..4], b"PK\x05\x06");
        assert_eq!(u16::from_le_bytes([end[10], end[11]]), 2, "two entries");
        let directory = u32::from_le_bytes(end[16..20].try_into().unwrap()) as usize;
        assert_eq!(&bytes[directory..directory + 4], b"PK\x01\x02");
        assert_eq!(
            &bytes[directory + 46..directory + 64],
            b"FA-2026-000001.pdf"
        );
        assert_eq!(
            u32::from_le_bytes(bytes[14..18].try_into().unwrap()),
            crc32fast::hash(b"%PDF-1.7")
        );
        // 14:30 on 7 December 2026, in DOS form.
        assert_eq!(
            u16::from_le_bytes([bytes[10], bytes[11]]),
            (14 << 11) | (30 << 5)
        );
        assert_eq!(
            u16::from_le_bytes([bytes[12], bytes[13]]),
            (46 << 9) | (12 << 5) | 7
        );
    }
}

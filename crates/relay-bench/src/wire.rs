//! The load generator's own HTTP/1.1: requests framed byte for byte before the clock starts and
//! written on kept-alive connections, answers read up to their declared length. As wrk does, it
//! spends as little of the shared 2 cores as it can, so that the figures measure the receiver,
//! not the client (a general-purpose client building and signing each request used as much CPU
//! as the relay it loaded).

use std::io;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A request framed as HTTP/1.1 for `host` (`127.0.0.1:port`).
pub fn request(
    method: &str,
    host: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Vec<u8> {
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if method != "GET" {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// One kept-alive connection; reconnects when the server closes it.
pub struct Conn {
    host: String,
    stream: Option<TcpStream>,
    buf: Vec<u8>,
}

impl Conn {
    pub fn new(host: &str) -> Self {
        Self {
            host: host.to_owned(),
            stream: None,
            buf: Vec::with_capacity(4096),
        }
    }

    /// Sends `request` and returns the answer's status code (0 when the exchange failed).
    pub async fn send(&mut self, request: &[u8]) -> u16 {
        match self.exchange(request).await {
            Ok((status, keep)) => {
                if !keep {
                    self.stream = None;
                }
                status
            }
            Err(_) => {
                self.stream = None;
                0
            }
        }
    }

    async fn exchange(&mut self, request: &[u8]) -> io::Result<(u16, bool)> {
        if self.stream.is_none() {
            let stream = TcpStream::connect(&self.host).await?;
            stream.set_nodelay(true)?;
            self.stream = Some(stream);
        }
        let stream = self.stream.as_mut().expect("connected above");
        stream.write_all(request).await?;
        self.buf.clear();
        let head_end = loop {
            if let Some(at) = find(&self.buf, b"\r\n\r\n") {
                break at + 4;
            }
            read_more(stream, &mut self.buf).await?;
        };
        let head = Head::parse(&self.buf[..head_end])?;
        match head.length {
            Some(length) => {
                while self.buf.len() < head_end + length {
                    read_more(stream, &mut self.buf).await?;
                }
            }
            // A chunked body (an error page, say): read to its last chunk.
            None => {
                while !self.buf.ends_with(b"0\r\n\r\n") {
                    read_more(stream, &mut self.buf).await?;
                }
            }
        }
        Ok((head.status, head.keep_alive))
    }
}

async fn read_more(stream: &mut TcpStream, buf: &mut Vec<u8>) -> io::Result<()> {
    if stream.read_buf(buf).await? == 0 {
        return Err(io::ErrorKind::UnexpectedEof.into());
    }
    Ok(())
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// What the load generator needs of an answer's head.
struct Head {
    status: u16,
    length: Option<usize>,
    keep_alive: bool,
}

impl Head {
    fn parse(head: &[u8]) -> io::Result<Self> {
        let bad = || io::Error::new(io::ErrorKind::InvalidData, "malformed HTTP answer");
        let text = std::str::from_utf8(head).map_err(|_| bad())?;
        let mut lines = text.split("\r\n");
        let status = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|s| s.parse().ok())
            .ok_or_else(bad)?;
        let (mut length, mut keep_alive) = (None, true);
        for line in lines {
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                length = Some(value.parse().map_err(|_| bad())?);
            } else if name.eq_ignore_ascii_case("connection") {
                keep_alive = !value.eq_ignore_ascii_case("close");
            }
        }
        Ok(Self {
            status,
            length,
            keep_alive,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_head_gives_its_status_length_and_connection() {
        let head =
            Head::parse(b"HTTP/1.1 200 OK\r\ncontent-length: 17\r\nConnection: close\r\n\r\n")
                .unwrap();
        assert_eq!(
            (head.status, head.length, head.keep_alive),
            (200, Some(17), false)
        );
        let head =
            Head::parse(b"HTTP/1.1 400 Bad Request\r\ntransfer-encoding: chunked\r\n\r\n").unwrap();
        assert_eq!(
            (head.status, head.length, head.keep_alive),
            (400, None, true)
        );
        assert!(Head::parse(b"garbage\r\n\r\n").is_err());
    }

    #[test]
    fn a_request_is_framed_with_its_host_and_length() {
        let bytes = request("POST", "127.0.0.1:9", "/x", &[("a", "b")], b"{}");
        assert_eq!(
            bytes,
            b"POST /x HTTP/1.1\r\nHost: 127.0.0.1:9\r\na: b\r\nContent-Length: 2\r\n\r\n{}"
        );
    }
}

//! A counting SMTP server on loopback for `bench/alert-to-ack.sh`: it speaks enough SMTP
//! (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT) for any client, accepts every message, and
//! counts messages and distinct `Message-ID`s, so that a duplicate delivery shows as
//! `messages > unique`. aiosmtpd, which the tests use, tops out at about 500 messages/s on
//! this machine (one Python thread), well below what the bench must measure; this one is not
//! the bottleneck.
//!
//! Ten times a second it rewrites STATS_FILE with one line, the same as bench/smtp_sink.py:
//! `messages unique first_accepted last_accepted` (Unix seconds). It prints its address on
//! the first line of stdout.
//!
//! `cargo run --release -p amends-delivery --example smtp_sink -- STATS_FILE [PORT]`

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

#[derive(Default)]
struct Counts {
    messages: u64,
    ids: HashSet<String>,
    first: f64,
    last: f64,
}

type Shared = Arc<Mutex<Counts>>;

fn lock(counts: &Shared) -> std::sync::MutexGuard<'_, Counts> {
    counts.lock().unwrap_or_else(PoisonError::into_inner)
}

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// One client connection, until QUIT or EOF.
async fn session(stream: TcpStream, counts: Shared) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 amends-bench-sink ESMTP\r\n").await?;
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
        match verb.as_str() {
            "EHLO" => {
                write
                    .write_all(b"250-amends-bench-sink\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")
                    .await?
            }
            "DATA" => {
                write.write_all(b"354 go ahead\r\n").await?;
                let mut id = None;
                let mut in_headers = true;
                loop {
                    line.clear();
                    if lines.read_line(&mut line).await? == 0 {
                        return Ok(());
                    }
                    let text = line.trim_end_matches(['\r', '\n']);
                    if text == "." {
                        break;
                    }
                    if text.is_empty() {
                        in_headers = false;
                    } else if in_headers
                        && text.len() > 11
                        && text[..11].eq_ignore_ascii_case("message-id:")
                    {
                        id = Some(text[11..].trim().to_string());
                    }
                }
                {
                    let mut c = lock(&counts);
                    let t = now();
                    c.messages += 1;
                    if let Some(id) = id {
                        c.ids.insert(id);
                    }
                    if c.first == 0.0 {
                        c.first = t;
                    }
                    c.last = t;
                }
                write.write_all(b"250 OK\r\n").await?;
            }
            "QUIT" => {
                write.write_all(b"221 bye\r\n").await?;
                return Ok(());
            }
            "HELO" | "MAIL" | "RCPT" | "RSET" | "NOOP" => write.write_all(b"250 OK\r\n").await?,
            _ => write.write_all(b"502 not implemented\r\n").await?,
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let stats = args.next().ok_or("usage: smtp_sink STATS_FILE [PORT]")?;
    let port: u16 = args.next().map(|p| p.parse()).transpose()?.unwrap_or(0);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!("{}", listener.local_addr()?);
    let counts = Shared::default();
    let writer = counts.clone();
    tokio::spawn(async move {
        loop {
            let line = {
                let c = lock(&writer);
                format!(
                    "{} {} {:.6} {:.6}\n",
                    c.messages,
                    c.ids.len(),
                    c.first,
                    c.last
                )
            };
            let tmp = format!("{stats}.tmp");
            if std::fs::write(&tmp, line)
                .and_then(|()| std::fs::rename(&tmp, &stats))
                .is_err()
            {
                eprintln!("smtp_sink: cannot write {stats}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    loop {
        let (stream, _) = listener.accept().await?;
        let counts = counts.clone();
        tokio::spawn(async move {
            if let Err(e) = session(stream, counts).await {
                eprintln!("smtp_sink: {e}");
            }
        });
    }
}

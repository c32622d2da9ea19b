//! The SMTP connections the email channel sends through: a fixed number kept open and reused,
//! each with `TCP_NODELAY`.
//!
//! Why not lettre's own pool: its sockets keep Nagle's algorithm on, and lettre writes a
//! message and its closing `\r\n.\r\n` in two writes. On a reused connection the second waits
//! for the server to acknowledge the first, which a server waiting for the end of the message
//! delays by its delayed-ACK timer (40 ms on Linux): about 25 messages a second per
//! connection. Its pool also opens a new connection whenever none is idle and closes the
//! surplus on return, so hundreds of concurrent sends opened and closed hundreds of
//! connections a second. Here a send waits for one of `size` connections instead, and opens
//! a connection only to replace one that broke.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::transport::smtp::response::Response;
use tokio::sync::Semaphore;

use crate::email::Security;

/// A connection idle longer than this is checked with a NOOP before it is used: servers close
/// idle connections (Postfix after 300 s), and a message sent into a closed one would fail.
const CHECK_AFTER_IDLE: Duration = Duration::from_secs(30);

/// Why a send failed.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The server answered, refused or broke off (lettre's classification kept).
    #[error(transparent)]
    Smtp(#[from] lettre::transport::smtp::Error),
    /// The server could not be reached.
    #[error("cannot connect: {0}")]
    Connect(std::io::Error),
    /// No answer in time.
    #[error("timed out")]
    Timeout,
}

/// Where and how to connect.
pub struct SmtpServer {
    /// Host name.
    pub host: String,
    /// Port.
    pub port: u16,
    /// Connection protection.
    pub security: Security,
    /// Login, if the server needs one.
    pub credentials: Option<Credentials>,
    /// Longest wait for connecting, and for each message.
    pub timeout: Duration,
}

/// A fixed number of reusable connections to one server.
pub struct SmtpPool {
    server: SmtpServer,
    tls: Option<TlsParameters>,
    hello: ClientId,
    /// One permit per connection: a send holds one from taking a connection to returning it.
    permits: Semaphore,
    /// Connections not in use, with when each was last used.
    idle: Mutex<Vec<(AsyncSmtpConnection, Instant)>>,
}

impl SmtpPool {
    /// A pool of `size` connections (at least one), opened as sends need them.
    pub fn new(server: SmtpServer, size: u32) -> Result<SmtpPool, lettre::transport::smtp::Error> {
        let tls = match server.security {
            Security::Plain => None,
            Security::StartTls | Security::Tls => Some(TlsParameters::new(server.host.clone())?),
        };
        Ok(SmtpPool {
            server,
            tls,
            hello: ClientId::default(),
            permits: Semaphore::new(usize::try_from(size.max(1)).unwrap_or(1)),
            idle: Mutex::new(Vec::new()),
        })
    }

    /// Sends one message on a pooled connection, opening one if none is idle. A connection
    /// that broke (a network error, a timeout, or an SMTP error lettre aborts on) is dropped;
    /// the next send opens another.
    pub async fn send(&self, envelope: &Envelope, message: &[u8]) -> Result<Response, SendError> {
        // Never closed: the pool owns the semaphore and is alive for this call.
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| SendError::Timeout)?;
        let mut conn = match self.take_idle() {
            Some((mut conn, last_used)) => {
                if last_used.elapsed() > CHECK_AFTER_IDLE && !conn.test_connected().await {
                    self.connect().await?
                } else {
                    conn
                }
            }
            None => self.connect().await?,
        };
        let sent = tokio::time::timeout(self.server.timeout, conn.send(envelope, message)).await;
        match sent {
            Err(_) => Err(SendError::Timeout),
            Ok(result) => {
                if !conn.has_broken() {
                    self.put_idle(conn);
                }
                Ok(result?)
            }
        }
    }

    fn take_idle(&self) -> Option<(AsyncSmtpConnection, Instant)> {
        self.idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .pop()
    }

    fn put_idle(&self, conn: AsyncSmtpConnection) {
        self.idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push((conn, Instant::now()));
    }

    async fn connect(&self) -> Result<AsyncSmtpConnection, SendError> {
        let opening = async {
            let mut conn = match self.server.security {
                // Implicit TLS wraps the socket before the greeting, which lettre does only on
                // a socket it opens itself (so without TCP_NODELAY).
                Security::Tls => {
                    AsyncSmtpConnection::connect_tokio1(
                        (self.server.host.as_str(), self.server.port),
                        Some(self.server.timeout),
                        &self.hello,
                        self.tls.clone(),
                        None,
                    )
                    .await?
                }
                Security::Plain | Security::StartTls => {
                    let tcp = tokio::net::TcpStream::connect((
                        self.server.host.as_str(),
                        self.server.port,
                    ))
                    .await
                    .map_err(SendError::Connect)?;
                    tcp.set_nodelay(true).map_err(SendError::Connect)?;
                    let mut conn =
                        AsyncSmtpConnection::connect_with_transport(Box::new(tcp), &self.hello)
                            .await?;
                    if let Some(tls) = &self.tls {
                        // Refuses a server that does not offer STARTTLS.
                        conn.starttls(tls.clone(), &self.hello).await?;
                    }
                    conn
                }
            };
            if let Some(credentials) = &self.server.credentials {
                conn.auth(&[Mechanism::Plain, Mechanism::Login], credentials)
                    .await?;
            }
            Ok(conn)
        };
        tokio::time::timeout(self.server.timeout, opening)
            .await
            .unwrap_or(Err(SendError::Timeout))
    }
}

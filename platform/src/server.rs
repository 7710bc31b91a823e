//! A running platform: the HTTP server and its background workers, started and stopped together.
//!
//! `ereceipt platform serve` runs one until Ctrl-C or SIGTERM; `ereceipt demo` and tests start
//! one inside their own process on a free port.

use crate::{AppState, Config, PlatformError, app, worker};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// A platform serving on a socket, with its workers.
pub struct Server {
    address: SocketAddr,
    state: AppState,
    stop: watch::Sender<bool>,
    http: JoinHandle<std::io::Result<()>>,
    workers: Vec<JoinHandle<()>>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

impl Server {
    /// Opens the state (creating keys, database and blob store on first start), binds
    /// `config.listen` and starts serving and the workers. Call inside a Tokio runtime.
    pub async fn start(config: &Config) -> Result<Self, PlatformError> {
        let state = AppState::open(config).await?;
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(PlatformError::from_io)?;
        let address = listener.local_addr().map_err(PlatformError::from_io)?;
        state.serving_at(reachable(address));
        let (stop, stopped) = watch::channel(false);
        let workers = worker::spawn_workers(&state, config.workers, &stopped);
        let mut http_stopped = stopped;
        let router = app(state.clone());
        let http = tokio::spawn(async move {
            axum::serve(
                listener,
                router.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .with_graceful_shutdown(async move {
                let _ = http_stopped.wait_for(|stop| *stop).await;
            })
            .await
        });
        Ok(Server {
            address,
            state,
            stop,
            http,
            workers,
        })
    }

    /// Where it listens.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Its base URL from this machine, `http://ADDRESS/`. Listening on every interface
    /// (`0.0.0.0`, `::`) gives the loopback address of that family: a client cannot connect
    /// to the unspecified address, and the SDK refuses plain HTTP to anything but loopback.
    pub fn url(&self) -> String {
        format!("http://{}/", reachable(self.address))
    }

    /// Its state (database, blobs, keys).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Stops accepting requests, lets requests and jobs in flight finish, and closes the
    /// database.
    pub async fn stop(self) -> Result<(), PlatformError> {
        let _ = self.stop.send(true);
        let served = self.http.await;
        for worker in self.workers {
            worker.await?;
        }
        self.state.db().close().await;
        served?.map_err(PlatformError::from_io)
    }
}

/// The address a client on this machine connects to for a listening address: the loopback
/// address of the family in place of the unspecified one.
fn reachable(mut address: SocketAddr) -> SocketAddr {
    if address.ip().is_unspecified() {
        address.set_ip(match address.ip() {
            IpAddr::V4(_) => Ipv4Addr::LOCALHOST.into(),
            IpAddr::V6(_) => Ipv6Addr::LOCALHOST.into(),
        });
    }
    address
}

#[cfg(test)]
mod tests {
    use super::reachable;

    #[test]
    fn every_interface_is_reached_over_loopback_and_a_named_address_as_it_is() {
        for (listening, reached) in [
            ("0.0.0.0:8080", "127.0.0.1:8080"),
            ("[::]:8080", "[::1]:8080"),
            ("192.0.2.7:8080", "192.0.2.7:8080"),
            ("127.0.0.1:0", "127.0.0.1:0"),
        ] {
            assert_eq!(reachable(listening.parse().unwrap()).to_string(), reached);
        }
    }
}

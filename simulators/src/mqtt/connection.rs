//! One MQTT connection's life: publishing its devices' turns at a steady pace, carrying
//! out their actions, polling rumqttc's event loop (acks, reconnects with backoff), and
//! a clean stop that marks every device `offline`.

use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use rand::{rngs::SmallRng, Rng, SeedableRng};
use rumqttc::{AsyncClient, ConnectionError, Event, EventLoop, Outgoing, Packet, QoS, Request};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::acks::AckBook;
use super::broker::{self, Broker, Tuning};
use crate::emit::{Action, DeviceSim};
use crate::fleet::ConnPlan;
use crate::stats::Stats;

/// What every connection of a run shares.
pub struct Shared {
    pub broker: Broker,
    pub tuning: Tuning,
    pub prefix: String,
    pub stats: Arc<Stats>,
    pub start: Instant,
    /// Seconds between two publishes of one device.
    pub period_s: f64,
    pub stop: watch::Receiver<bool>,
    pub record: Option<crate::record::Recorder>,
}

pub fn device_topic(prefix: &str, device_id: &str, leaf: &str) -> String {
    format!("{prefix}/v1/devices/{device_id}/{leaf}")
}

/// A gateway's own status topic: outside the device contract, so the server ignores it;
/// it tells an operator watching the broker that the gateway itself went away.
pub fn gateway_topic(prefix: &str, gateway_id: &str) -> String {
    format!("{prefix}/v1/gateways/{gateway_id}/status")
}

/// Reconnect delays: 250 ms doubling to 10 s, with ±25 % jitter so a fleet that lost
/// its broker does not come back in lockstep.
struct Backoff {
    next: Duration,
    rng: SmallRng,
}

impl Backoff {
    const FIRST: Duration = Duration::from_millis(250);
    const MAX: Duration = Duration::from_secs(10);

    fn new(seed: u64) -> Self {
        Self {
            next: Self::FIRST,
            rng: SmallRng::seed_from_u64(seed),
        }
    }

    fn reset(&mut self) {
        self.next = Self::FIRST;
    }

    fn delay(&mut self) -> Duration {
        let base = self.next;
        self.next = (self.next * 2).min(Self::MAX);
        base.mul_f64(self.rng.random_range(0.75..1.25))
    }
}

/// A live rumqttc client with its polling task.
struct Link {
    client: AsyncClient,
    book: Arc<Mutex<AckBook>>,
    connected: mpsc::UnboundedReceiver<()>,
    up: Arc<AtomicBool>,
    task: JoinHandle<()>,
}

impl Link {
    fn open(plan: &ConnPlan, shared: &Shared, seed: u64) -> Link {
        let will = if plan.gateway {
            gateway_topic(&shared.prefix, &plan.client_id)
        } else {
            device_topic(&shared.prefix, &plan.client_id, "status")
        };
        let opts = broker::options(&shared.broker, &plan.client_id, &will, &shared.tuning);
        let (client, eventloop) = AsyncClient::new(opts, shared.tuning.channel_capacity);
        let book = Arc::new(Mutex::new(AckBook::default()));
        let up = Arc::new(AtomicBool::new(false));
        let (tx, connected) = mpsc::unbounded_channel();
        let task = tokio::spawn(poll(
            eventloop,
            book.clone(),
            shared.stats.clone(),
            tx,
            up.clone(),
            plan.client_id.clone(),
            seed,
        ));
        Link {
            client,
            book,
            connected,
            up,
            task,
        }
    }

    fn mark_down(&self, stats: &Stats) {
        if self.up.swap(false, Relaxed) {
            stats.connected.fetch_sub(1, Relaxed);
        }
    }

    /// Closes the socket without DISCONNECT, so the broker fires the Last Will.
    fn kill(self, stats: &Stats) {
        self.task.abort();
        self.mark_down(stats);
        let outstanding = self.book.lock().expect("ack book").outstanding() as u64;
        stats.lost_messages.fetch_add(outstanding, Relaxed);
    }

    /// Publishes at QoS 1, waiting while rumqttc's queue is full; `false` when stopped
    /// first or the client is gone.
    async fn publish(
        &self,
        topic: String,
        retain: bool,
        payload: Vec<u8>,
        readings: u32,
        stop: &mut watch::Receiver<bool>,
    ) -> bool {
        self.book.lock().expect("ack book").queue(readings);
        let sent = tokio::select! {
            r = self.client.publish(topic, QoS::AtLeastOnce, retain, payload) => r.is_ok(),
            _ = stop.wait_for(|s| *s) => false,
        };
        if !sent {
            self.book.lock().expect("ack book").unqueue();
        }
        sent
    }
}

async fn poll(
    mut eventloop: EventLoop,
    book: Arc<Mutex<AckBook>>,
    stats: Arc<Stats>,
    connected: mpsc::UnboundedSender<()>,
    up: Arc<AtomicBool>,
    name: String,
    seed: u64,
) {
    let mut backoff = Backoff::new(seed);
    let mut ever_connected = false;
    let mut failures = 0u32;
    loop {
        match eventloop.poll().await {
            Ok(Event::Incoming(Packet::ConnAck(ack))) => {
                if ever_connected && !ack.session_present {
                    let lost = book.lock().expect("ack book").session_lost();
                    stats.lost_messages.fetch_add(lost.messages, Relaxed);
                    stats.lost_readings.fetch_add(lost.readings, Relaxed);
                }
                ever_connected = true;
                if !up.swap(true, Relaxed) {
                    stats.connected.fetch_add(1, Relaxed);
                }
                backoff.reset();
                let _ = connected.send(());
            }
            Ok(Event::Incoming(Packet::PubAck(ack))) => {
                if let Some(r) = book.lock().expect("ack book").acked(ack.pkid) {
                    stats.acked_messages.fetch_add(1, Relaxed);
                    stats.acked_readings.fetch_add(r as u64, Relaxed);
                }
            }
            Ok(Event::Outgoing(Outgoing::Publish(pkid))) => {
                book.lock().expect("ack book").written(pkid)
            }
            Ok(Event::Outgoing(Outgoing::Disconnect)) => break,
            Ok(_) => {}
            Err(ConnectionError::RequestsDone) => break,
            Err(e) => {
                if up.swap(false, Relaxed) {
                    stats.connected.fetch_sub(1, Relaxed);
                }
                stats.errors.fetch_add(1, Relaxed);
                let unsent = eventloop
                    .pending
                    .iter()
                    .filter(|r| matches!(r, Request::Publish(p) if p.pkid == 0))
                    .count();
                book.lock().expect("ack book").connection_failed(unsent);
                let delay = backoff.delay();
                failures += 1;
                if failures <= 3 || failures.is_power_of_two() {
                    eprintln!("{name}: {e} (failure {failures}); reconnecting in {delay:.1?}");
                }
                tokio::time::sleep(delay).await;
            }
        }
    }
    if up.swap(false, Relaxed) {
        stats.connected.fetch_sub(1, Relaxed);
    }
}

/// Runs one connection until `shared.stop` is set. `stagger` in `[0, 1)` shifts its
/// turns within a turn interval so connections interleave instead of bursting together.
pub async fn drive(
    plan: ConnPlan,
    mut devices: Vec<DeviceSim>,
    shared: Arc<Shared>,
    stagger: f64,
    seed: u64,
) {
    let n = devices.len().max(1);
    let rate = n as f64 / shared.period_s;
    let offset = stagger / rate;
    let lag_cap = (rate.ceil() as u64).max(1);
    let mut stop = shared.stop.clone();
    // Telemetry starts once the connection is up and its devices said `online`.
    let mut first = Link::open(&plan, &shared, seed);
    if wait_connected(&mut first, &mut stop).await {
        let ids = online_ids(&devices, 0.0);
        announce_online(&first, &plan, &ids, &shared, &mut stop).await;
    }
    let mut link = Some(first);
    let mut turn: u64 = 0;

    'run: while !*stop.borrow() {
        let elapsed = shared.start.elapsed().as_secs_f64();
        if let Some(l) = &mut link {
            let mut reconnected = false;
            while l.connected.try_recv().is_ok() {
                reconnected = true;
            }
            if reconnected {
                let ids = online_ids(&devices, elapsed);
                announce_online(l, &plan, &ids, &shared, &mut stop).await;
            }
        }
        let due = if elapsed < offset {
            0
        } else {
            ((elapsed - offset) * rate).floor() as u64 + 1
        };
        if due > turn + lag_cap {
            shared
                .stats
                .skipped_turns
                .fetch_add(due - lag_cap - turn, Relaxed);
            turn = due - lag_cap;
        }
        while turn < due {
            let d = &mut devices[(turn % n as u64) as usize];
            let t = offset + turn as f64 / rate;
            let actions = d.step(t, Utc::now());
            let id = d.id().to_owned();
            for a in actions {
                if !execute(a, &id, &mut link, &plan, &shared, seed, &mut stop).await {
                    break 'run;
                }
            }
            turn += 1;
        }
        let next = shared.start + Duration::from_secs_f64(offset + turn as f64 / rate);
        tokio::select! {
            _ = tokio::time::sleep_until(next) => {}
            _ = stop.wait_for(|s| *s) => {}
        }
    }
    shutdown(plan, devices, link, &shared).await;
}

/// The devices that are not keeping quiet at `t`.
fn online_ids(devices: &[DeviceSim], t: f64) -> Vec<String> {
    devices
        .iter()
        .filter(|d| !d.silenced(t))
        .map(|d| d.id().to_owned())
        .collect()
}

/// Waits for the link's next CONNACK; `false` when stopped first.
async fn wait_connected(link: &mut Link, stop: &mut watch::Receiver<bool>) -> bool {
    tokio::select! {
        r = link.connected.recv() => r.is_some(),
        _ = stop.wait_for(|s| *s) => false,
    }
}

/// Retained `online` for each device (and the gateway itself).
async fn announce_online(
    link: &Link,
    plan: &ConnPlan,
    ids: &[String],
    shared: &Shared,
    stop: &mut watch::Receiver<bool>,
) {
    if plan.gateway {
        let topic = gateway_topic(&shared.prefix, &plan.client_id);
        link.publish(topic, true, b"online".to_vec(), 0, stop).await;
    }
    for id in ids {
        let topic = device_topic(&shared.prefix, id, "status");
        if link.publish(topic, true, b"online".to_vec(), 0, stop).await {
            shared.stats.statuses.fetch_add(1, Relaxed);
        }
    }
}

/// Carries out one action; `false` when the run was stopped meanwhile.
async fn execute(
    action: Action,
    device_id: &str,
    link: &mut Option<Link>,
    plan: &ConnPlan,
    shared: &Shared,
    seed: u64,
    stop: &mut watch::Receiver<bool>,
) -> bool {
    let stats = &shared.stats;
    match action {
        Action::Telemetry { payload, readings } => {
            return telemetry(link, device_id, payload, readings, false, shared, stop).await;
        }
        Action::Malformed {
            payload, readings, ..
        } => {
            return telemetry(link, device_id, payload, readings, true, shared, stop).await;
        }
        Action::Status(status) => {
            let Some(l) = link.as_ref() else { return true };
            let topic = device_topic(&shared.prefix, device_id, "status");
            let body = status.as_str().as_bytes().to_vec();
            if !l.publish(topic, true, body, 0, stop).await {
                return !*stop.borrow();
            }
            stats.statuses.fetch_add(1, Relaxed);
        }
        Action::Drop => {
            if let Some(l) = link.take() {
                l.kill(stats);
            }
        }
        Action::Reconnect => {
            if link.is_none() {
                let mut l = Link::open(plan, shared, seed.wrapping_add(1));
                if wait_connected(&mut l, stop).await {
                    announce_online(&l, plan, &[device_id.to_owned()], shared, stop).await;
                }
                *link = Some(l);
            }
        }
    }
    !*stop.borrow()
}

async fn telemetry(
    link: &Option<Link>,
    device_id: &str,
    payload: Vec<u8>,
    readings: u32,
    malformed: bool,
    shared: &Shared,
    stop: &mut watch::Receiver<bool>,
) -> bool {
    let Some(l) = link.as_ref() else { return true };
    let topic = device_topic(&shared.prefix, device_id, "telemetry");
    let copy = shared.record.as_ref().map(|_| payload.clone());
    if l.publish(topic, false, payload, readings, stop).await {
        if let (Some(r), Some(p)) = (&shared.record, copy) {
            r.write(device_id, malformed, &p);
        }
        let stats = &shared.stats;
        stats.messages.fetch_add(1, Relaxed);
        stats.readings.fetch_add(readings as u64, Relaxed);
        if malformed {
            stats.malformed.fetch_add(1, Relaxed);
        }
    }
    !*stop.borrow()
}

async fn shutdown(
    plan: ConnPlan,
    mut devices: Vec<DeviceSim>,
    link: Option<Link>,
    shared: &Shared,
) {
    let Some(link) = link else { return };
    let stats = &shared.stats;
    // A private stop signal: the run's own is already set.
    let (_keep, mut never) = watch::channel(false);
    let deadline = Instant::now() + Duration::from_secs(5);
    let work = async {
        for d in &mut devices {
            for a in d.flush() {
                if let Action::Telemetry { payload, readings } = a {
                    let topic = device_topic(&shared.prefix, d.id(), "telemetry");
                    if let Some(r) = &shared.record {
                        r.write(d.id(), false, &payload);
                    }
                    if link
                        .publish(topic, false, payload, readings, &mut never)
                        .await
                    {
                        stats.messages.fetch_add(1, Relaxed);
                        stats.readings.fetch_add(readings as u64, Relaxed);
                    }
                }
            }
        }
        for d in &devices {
            let topic = device_topic(&shared.prefix, d.id(), "status");
            if link
                .publish(topic, true, b"offline".to_vec(), 0, &mut never)
                .await
            {
                stats.statuses.fetch_add(1, Relaxed);
            }
        }
        if plan.gateway {
            let topic = gateway_topic(&shared.prefix, &plan.client_id);
            link.publish(topic, true, b"offline".to_vec(), 0, &mut never)
                .await;
        }
        while link.book.lock().expect("ack book").outstanding() > 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    let _ = tokio::time::timeout_at(deadline, work).await;
    let _ = tokio::time::timeout(Duration::from_secs(1), link.client.disconnect()).await;
    let Link { task, up, .. } = link;
    let abort = task.abort_handle();
    if tokio::time::timeout(Duration::from_secs(2), task)
        .await
        .is_err()
    {
        abort.abort();
    }
    if up.swap(false, Relaxed) {
        stats.connected.fetch_sub(1, Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_follow_the_contract() {
        assert_eq!(
            device_topic("mainspring", "pump-7", "telemetry"),
            "mainspring/v1/devices/pump-7/telemetry"
        );
        assert_eq!(
            device_topic("acme", "pump-7", "status"),
            "acme/v1/devices/pump-7/status"
        );
        assert_eq!(
            gateway_topic("mainspring", "gw-1"),
            "mainspring/v1/gateways/gw-1/status"
        );
    }

    #[test]
    fn backoff_doubles_to_ten_seconds_with_jitter_and_resets() {
        let mut b = Backoff::new(1);
        let delays: Vec<Duration> = (0..8).map(|_| b.delay()).collect();
        assert!(delays[0] >= Duration::from_millis(187) && delays[0] <= Duration::from_millis(313));
        assert!(delays[1] >= Duration::from_millis(375) && delays[1] <= Duration::from_millis(625));
        assert!(
            delays[7] >= Duration::from_millis(7500) && delays[7] <= Duration::from_millis(12500)
        );
        b.reset();
        assert!(b.delay() <= Duration::from_millis(313));
    }
}

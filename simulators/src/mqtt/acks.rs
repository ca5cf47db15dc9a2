//! Which readings the broker acknowledged. rumqttc reports only packet ids, so the
//! publisher queues each request's reading count in order, the count is bound to a
//! packet id when rumqttc writes the publish, and a PUBACK releases it. Pure.

use std::collections::{HashMap, VecDeque};

#[derive(Debug, Default)]
pub struct AckBook {
    /// Reading counts of requests handed to rumqttc but not yet written, oldest first.
    queued: VecDeque<u32>,
    /// Reading counts of written publishes awaiting their PUBACK, by packet id.
    inflight: HashMap<u16, u32>,
    /// Requests not yet written when the connection failed (rumqttc holds them for the
    /// next session; lost if the broker has none).
    unsent_at_failure: usize,
}

/// What a lost broker session took with it.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Lost {
    pub messages: u64,
    pub readings: u64,
}

impl AckBook {
    /// Call before handing a publish of `readings` readings to rumqttc.
    pub fn queue(&mut self, readings: u32) {
        self.queued.push_back(readings);
    }

    /// The request queued last was never handed over (stopped, or the client is gone).
    pub fn unqueue(&mut self) {
        self.queued.pop_back();
    }

    /// rumqttc wrote a publish with `pkid`. A packet id still awaiting its ack is a
    /// retransmission after a reconnect, not a new request.
    pub fn written(&mut self, pkid: u16) {
        if self.inflight.contains_key(&pkid) {
            return;
        }
        if let Some(r) = self.queued.pop_front() {
            self.inflight.insert(pkid, r);
        }
    }

    /// A PUBACK: the readings of that publish, if it was ours.
    pub fn acked(&mut self, pkid: u16) -> Option<u32> {
        self.inflight.remove(&pkid)
    }

    /// The connection failed with `unsent` of our requests not yet written (rumqttc's
    /// pending publishes without a packet id).
    pub fn connection_failed(&mut self, unsent: usize) {
        self.unsent_at_failure = unsent.min(self.queued.len());
    }

    /// Reconnected without the old session: rumqttc dropped every publish awaiting an ack
    /// and every request it held from before the failure.
    pub fn session_lost(&mut self) -> Lost {
        let mut lost = Lost::default();
        for (_, r) in self.inflight.drain() {
            lost.messages += 1;
            lost.readings += r as u64;
        }
        for r in self.queued.drain(..self.unsent_at_failure) {
            lost.messages += 1;
            lost.readings += r as u64;
        }
        self.unsent_at_failure = 0;
        lost
    }

    /// Requests not yet acknowledged (queued or in flight).
    pub fn outstanding(&self) -> usize {
        self.queued.len() + self.inflight.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acks_release_the_readings_of_their_own_publish() {
        let mut b = AckBook::default();
        b.queue(5);
        b.queue(0);
        b.queue(7);
        b.written(1);
        b.written(2);
        b.written(3);
        assert_eq!(b.acked(3), Some(7));
        assert_eq!(b.acked(1), Some(5));
        assert_eq!(b.acked(2), Some(0));
        assert_eq!(b.acked(2), None);
        assert_eq!(b.outstanding(), 0);
    }

    #[test]
    fn retransmission_of_an_unacked_packet_id_is_not_a_new_request() {
        let mut b = AckBook::default();
        b.queue(5);
        b.queue(9);
        b.written(1);
        b.written(1); // resent after a reconnect
        assert_eq!(b.outstanding(), 2);
        b.written(2);
        assert_eq!(b.acked(1), Some(5));
        assert_eq!(b.acked(2), Some(9));
    }

    #[test]
    fn packet_ids_are_reused_once_acked() {
        let mut b = AckBook::default();
        b.queue(1);
        b.written(1);
        assert_eq!(b.acked(1), Some(1));
        b.queue(2);
        b.written(1);
        assert_eq!(b.acked(1), Some(2));
    }

    #[test]
    fn unknown_acks_are_ignored() {
        let mut b = AckBook::default();
        assert_eq!(b.acked(42), None);
    }

    #[test]
    fn lost_session_drops_the_inflight_and_the_requests_held_at_the_failure() {
        let mut b = AckBook::default();
        for r in [1, 2, 3, 4, 5] {
            b.queue(r);
        }
        b.written(1); // 1 in flight
        b.written(2); // 2 in flight
        b.connection_failed(2); // 3 and 4 were held by rumqttc
        b.queue(6); // queued after the failure: still ours
        let lost = b.session_lost();
        assert_eq!(
            lost,
            Lost {
                messages: 4,
                readings: 1 + 2 + 3 + 4
            }
        );
        b.written(1);
        b.written(2);
        assert_eq!(b.acked(1), Some(5));
        assert_eq!(b.acked(2), Some(6));
    }
}

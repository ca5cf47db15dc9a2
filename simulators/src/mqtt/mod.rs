//! The MQTT side: the broker and connection options, the acknowledgement book, and one
//! task per connection that publishes its devices' turns.

pub mod acks;
pub mod broker;
pub mod connection;

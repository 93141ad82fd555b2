//! Judging other people's clients: a catalog scenario's mocks served for a client under test
//! ([`served`], behind `serve`), the client run as a process against them ([`test_client`]),
//! and the judge that reads the mocks' record of what they served into client checks
//! ([`judge`]).

pub mod judge;
pub mod served;
pub mod test_client;

//! The CloudTrail operations ctconform speaks: CreateChannel and the
//! supporting operations of contract §5.

use std::fmt;

/// An operation of the CloudTrail API that the contract covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Operation {
    CreateChannel,
    GetChannel,
    ListChannels,
    UpdateChannel,
    DeleteChannel,
    CreateEventDataStore,
    GetEventDataStore,
    ListEventDataStores,
    StopEventDataStoreIngestion,
    StartEventDataStoreIngestion,
    DeleteEventDataStore,
}

impl Operation {
    /// Every operation, in the order the contract lists them.
    pub const ALL: [Operation; 11] = [
        Operation::CreateChannel,
        Operation::GetChannel,
        Operation::ListChannels,
        Operation::UpdateChannel,
        Operation::DeleteChannel,
        Operation::CreateEventDataStore,
        Operation::GetEventDataStore,
        Operation::ListEventDataStores,
        Operation::StopEventDataStoreIngestion,
        Operation::StartEventDataStoreIngestion,
        Operation::DeleteEventDataStore,
    ];

    /// The operation's name as the API model spells it.
    pub fn name(self) -> &'static str {
        match self {
            Operation::CreateChannel => "CreateChannel",
            Operation::GetChannel => "GetChannel",
            Operation::ListChannels => "ListChannels",
            Operation::UpdateChannel => "UpdateChannel",
            Operation::DeleteChannel => "DeleteChannel",
            Operation::CreateEventDataStore => "CreateEventDataStore",
            Operation::GetEventDataStore => "GetEventDataStore",
            Operation::ListEventDataStores => "ListEventDataStores",
            Operation::StopEventDataStoreIngestion => "StopEventDataStoreIngestion",
            Operation::StartEventDataStoreIngestion => "StartEventDataStoreIngestion",
            Operation::DeleteEventDataStore => "DeleteEventDataStore",
        }
    }

    /// The operation named `name` (exact, case-sensitive), if the contract covers it.
    pub fn from_name(name: &str) -> Option<Operation> {
        Operation::ALL.into_iter().find(|op| op.name() == name)
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for op in Operation::ALL {
            assert_eq!(Operation::from_name(op.name()), Some(op));
        }
        assert_eq!(Operation::from_name("createchannel"), None);
        assert_eq!(Operation::from_name("CreateTrail"), None);
    }
}

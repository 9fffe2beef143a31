//! TEMPORARY stand-in for `RuleId::parse` (in progress on main): which rule
//! ids the contract defines. Replace with `RuleId::parse(id).is_some()` at merge.

/// True when `id` names a rule of the contract.
pub fn is_rule_id(id: &str) -> bool {
    const FIXED: [&str; 21] = [
        "N1", "N2", "N3", "S1", "S2", "D1", "D2", "D3", "D4", "E1", "E2", "E3", "E4", "T1", "T2",
        "T3", "T4", "T5", "C1", "C2", "C3",
    ];
    let numbered = |prefix: &str, max: u32| {
        id.strip_prefix(prefix)
            .filter(|n| n.len() == 1)
            .and_then(|n| n.parse::<u32>().ok())
            .is_some_and(|n| (1..=max).contains(&n))
    };
    FIXED.contains(&id) || numbered("P", 9) || numbered("OK", 4) || numbered("OP", 5)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_exactly_the_contract_ids() {
        for id in ["N1", "C3", "P1", "P9", "OK1", "OK4", "OP1", "OP5", "T5"] {
            assert!(is_rule_id(id), "{id}");
        }
        for id in [
            "", "N4", "P0", "P10", "OK5", "OP6", "OP0", "c1", "OK", "P01", " N1",
        ] {
            assert!(!is_rule_id(id), "{id}");
        }
    }
}

//! Which trunk of a trunk group takes a call: the order in which the group's `routing_type`
//! tries its trunks, and whether a trunk can take one more call.
//!
//! - `failover`: by `priority`, lowest first; equal priorities in the order the trunks were made.
//!   Every call tries the same first trunk; the next only when it cannot take the call.
//! - `round_robin`: the trunks in the order they were made, each call starting one further
//!   (the group's turn counter); the others follow as fail-overs.
//! - `weighted`: by `priority`, lowest first; within one priority a weighted random order
//!   (a trunk of `weight` w is first with probability w / the sum of weights; weight 0 goes
//!   last), as DNS SRV records are chosen (RFC 2782).

/// The routing types a trunk group may have.
pub const ROUTING_TYPES: &[&str] = &["failover", "round_robin", "weighted"];

/// What the order needs of a trunk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slot {
    pub priority: i32,
    pub weight: i32,
}

/// The order (indexes into `trunks`, which are in creation order) in which a call tries the
/// trunks. `turn` is the group's round-robin counter; `random` yields numbers in [0, 1).
pub fn order(routing_type: &str, trunks: &[Slot], turn: u64, random: &mut dyn FnMut() -> f64) -> Vec<usize> {
    let n = trunks.len();
    if n == 0 {
        return Vec::new();
    }
    match routing_type {
        "round_robin" => {
            let start = (turn % n as u64) as usize;
            (0..n).map(|i| (start + i) % n).collect()
        }
        "weighted" => {
            let mut by_priority: Vec<usize> = (0..n).collect();
            by_priority.sort_by_key(|&i| trunks[i].priority);
            let mut out = Vec::with_capacity(n);
            let mut i = 0;
            while i < n {
                let p = trunks[by_priority[i]].priority;
                let mut group: Vec<usize> =
                    by_priority[i..].iter().copied().take_while(|&j| trunks[j].priority == p).collect();
                i += group.len();
                while !group.is_empty() {
                    let total: i64 = group.iter().map(|&j| trunks[j].weight.max(0) as i64).sum();
                    let pick = if total == 0 {
                        0
                    } else {
                        let mut at = (random().clamp(0.0, 0.999_999_999) * total as f64) as i64;
                        group
                            .iter()
                            .position(|&j| {
                                let w = trunks[j].weight.max(0) as i64;
                                if at < w {
                                    true
                                } else {
                                    at -= w;
                                    false
                                }
                            })
                            .unwrap_or(0)
                    };
                    out.push(group.remove(pick));
                }
            }
            out
        }
        // failover, and anything else stored before the other types were known.
        _ => {
            let mut idx: Vec<usize> = (0..n).collect();
            idx.sort_by_key(|&i| trunks[i].priority);
            idx
        }
    }
}

/// Whether a limit of `capacity` simultaneous calls (0: none) takes one more besides `in_use`.
pub fn has_room(capacity: i32, in_use: i64) -> bool {
    capacity <= 0 || in_use < capacity as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slots(v: &[(i32, i32)]) -> Vec<Slot> {
        v.iter().map(|&(priority, weight)| Slot { priority, weight }).collect()
    }

    #[test]
    fn failover_goes_by_priority_then_creation() {
        let t = slots(&[(2, 0), (1, 0), (2, 0), (0, 0)]);
        assert_eq!(order("failover", &t, 7, &mut || 0.5), vec![3, 1, 0, 2]);
    }

    #[test]
    fn round_robin_starts_one_further_each_turn() {
        let t = slots(&[(0, 0), (0, 0), (0, 0)]);
        assert_eq!(order("round_robin", &t, 0, &mut || 0.0), vec![0, 1, 2]);
        assert_eq!(order("round_robin", &t, 1, &mut || 0.0), vec![1, 2, 0]);
        assert_eq!(order("round_robin", &t, 5, &mut || 0.0), vec![2, 0, 1]);
    }

    #[test]
    fn weighted_picks_in_proportion_within_a_priority() {
        let t = slots(&[(1, 1), (1, 3), (0, 0), (1, 0)]);
        // The lower priority always first; then 1 in 4 starts with trunk 0, 3 in 4 with trunk 1.
        assert_eq!(order("weighted", &t, 0, &mut || 0.1)[..2], [2, 0]);
        assert_eq!(order("weighted", &t, 0, &mut || 0.3)[..2], [2, 1]);
        assert_eq!(order("weighted", &t, 0, &mut || 0.99), vec![2, 1, 0, 3]);
        let mut firsts = [0u32; 4];
        let mut x = 0.0f64;
        for _ in 0..1000 {
            x = (x + 0.618_033_988_75) % 1.0;
            let mut r = || x;
            firsts[order("weighted", &t, 0, &mut r)[1]] += 1;
        }
        assert!(firsts[3] == 0, "a trunk of weight 0 is never first while others weigh");
        assert!((700..=800).contains(&firsts[1]), "{firsts:?}");
    }

    #[test]
    fn capacity_zero_is_unlimited() {
        assert!(has_room(0, 10_000));
        assert!(has_room(2, 1));
        assert!(!has_room(2, 2));
    }
}

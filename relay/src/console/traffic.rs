//! The health page's « événements reçus par minute » chart: the journal's events of the last
//! hour counted per minute and drawn as server-side SVG bars (the pages allow no script to
//! draw). Counted from the journal, so that every instance's deliveries show and a restart
//! forgets nothing; a duplicate delivery is not journalled, so it is not counted here.

/// Minutes the chart covers.
pub const MINUTES: usize = 60;
/// The tallest bar, in the SVG's units (a fixed 740 × 130 box).
const HEIGHT: i64 = 100;

pub struct MinuteBar {
    pub x: i64,
    pub y: i64,
    pub height: i64,
    pub title: String,
}

pub struct Traffic {
    pub bars: Vec<MinuteBar>,
    pub total: usize,
    pub busiest: u32,
}

/// How many of `times` (Unix seconds) fell in each of the [`MINUTES`] minutes before `now`,
/// oldest first; the last slot is the minute in progress.
pub fn per_minute(times: &[i64], now: i64) -> Vec<u32> {
    let mut counts = vec![0; MINUTES];
    let current = now.div_euclid(60);
    for t in times {
        let back = current - t.div_euclid(60);
        if (0..MINUTES as i64).contains(&back) {
            counts[MINUTES - 1 - back as usize] += 1;
        }
    }
    counts
}

/// The chart of `times` as of `now`.
pub fn traffic(times: &[i64], now: i64) -> Traffic {
    let counts = per_minute(times, now);
    let busiest = counts.iter().copied().max().unwrap_or(0);
    let bars = counts
        .iter()
        .enumerate()
        .map(|(i, &n)| {
            // A minute with events draws at least one unit, so that a lone event shows.
            let height = match n {
                0 => 0,
                n => (i64::from(n) * HEIGHT / i64::from(busiest.max(1))).max(2),
            };
            let ago = MINUTES - 1 - i;
            MinuteBar {
                x: 10 + i as i64 * 12,
                y: 10 + HEIGHT - height,
                height,
                title: match ago {
                    0 => format!("minute en cours : {n} événement(s)"),
                    a => format!("il y a {a} min : {n} événement(s)"),
                },
            }
        })
        .collect();
    Traffic {
        bars,
        total: counts.iter().map(|&n| n as usize).sum(),
        busiest,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_fall_in_their_minute_and_older_ones_are_left_out() {
        let now = 1_796_630_130; // 30 s into a minute
        let counts = per_minute(
            &[now, now - 20, now - 31, now - 3570, now - 3599, now + 60],
            now,
        );
        assert_eq!(counts.len(), MINUTES);
        assert_eq!(counts[MINUTES - 1], 2, "this minute");
        assert_eq!(counts[MINUTES - 2], 1, "the one before");
        assert_eq!(counts[0], 1, "59 minutes ago");
        assert_eq!(
            counts.iter().sum::<u32>(),
            4,
            "the minute an hour ago and the future are out"
        );
    }

    #[test]
    fn the_busiest_minute_is_full_height_and_a_lone_event_still_shows() {
        let now = 1_796_630_130;
        let mut times = vec![now; 50];
        times.push(now - 120);
        let t = traffic(&times, now);
        assert_eq!((t.total, t.busiest), (51, 50));
        assert_eq!(t.bars[MINUTES - 1].height, HEIGHT);
        assert_eq!(t.bars[MINUTES - 3].height, 2);
        assert_eq!(t.bars[0].height, 0);
        assert_eq!(t.bars[MINUTES - 3].title, "il y a 2 min : 1 événement(s)");
    }
}

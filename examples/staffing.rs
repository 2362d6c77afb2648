//! Staffing table from Erlang C: how many agents a queue needs.
//!
//! ```text
//! cargo run --example staffing -- --calls-per-hour 200 --aht 180 --sl-threshold 20 --target 0.8
//! ```

use std::process::ExitCode;

use call_routing::erlang::{average_speed_of_answer, erlang_c, service_level};

struct Args {
    calls_per_hour: f64,
    aht_s: f64,
    sl_threshold_s: f64,
    target: f64,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        calls_per_hour: 200.0,
        aht_s: 180.0,
        sl_threshold_s: 20.0,
        target: 0.8,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number: f64 = value
            .parse()
            .map_err(|_| format!("{flag}: '{value}' is not a number"))?;
        match flag.as_str() {
            "--calls-per-hour" => args.calls_per_hour = number,
            "--aht" => args.aht_s = number,
            "--sl-threshold" => args.sl_threshold_s = number,
            "--target" => args.target = number,
            other => return Err(format!("unknown option {other}")),
        }
    }
    if !(args.calls_per_hour > 0.0 && args.aht_s > 0.0 && args.sl_threshold_s >= 0.0) {
        return Err("rates and times must be positive".into());
    }
    Ok(args)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("staffing: {message}");
            eprintln!(
                "usage: staffing [--calls-per-hour X] [--aht S] [--sl-threshold S] [--target FRACTION]"
            );
            return ExitCode::from(2);
        }
    };
    let traffic = args.calls_per_hour * args.aht_s / 3600.0;
    println!(
        "{:.1} calls/h x {:.0} s = {traffic:.2} erlangs; target {:.0}% answered within {:.0} s\n",
        args.calls_per_hour,
        args.aht_s,
        args.target * 100.0,
        args.sl_threshold_s
    );
    println!("agents  P(wait)  service level  ASA (s)  occupancy");
    let first = traffic.floor() as u32 + 1;
    for agents in first..first + 8 {
        let (Ok(p_wait), Ok(sl), Ok(asa)) = (
            erlang_c(traffic, agents),
            service_level(traffic, agents, args.aht_s, args.sl_threshold_s),
            average_speed_of_answer(traffic, agents, args.aht_s),
        ) else {
            continue;
        };
        let mark = if sl >= args.target {
            "  <- meets target"
        } else {
            ""
        };
        println!(
            "{agents:>6}  {p_wait:>7.4}  {sl:>13.4}  {asa:>7.1}  {:>9.4}{mark}",
            traffic / f64::from(agents)
        );
        if sl >= args.target {
            break;
        }
    }
    ExitCode::SUCCESS
}

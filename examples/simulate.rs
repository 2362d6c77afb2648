//! Simulate a queue with the real router and compare with Erlang C / Erlang A.
//!
//! ```text
//! cargo run --release --example simulate -- --agents 14 --calls-per-hour 200 --aht 180 \
//!     --sl-threshold 20 --calls 1000000 --replications 16 --seed 1 [--patience 120] [--wrapup 0] [--json]
//! ```
//!
//! Prints each KPI's mean over the replications with its 95% confidence
//! interval next to the closed form: Erlang C when no patience is given,
//! Erlang A otherwise (wrap-up is added to the handle time for the closed
//! form, since agents are busy during it). With `--json` it prints one object,
//! `{"simulated": {KPI: {"mean": x, "ci95": half_width}}, "erlang": {KPI: x}}`.

use std::process::ExitCode;
use std::time::Instant;

use call_routing::erlang::{self, erlang_a};
use call_routing::sim::{Scenario, Summary, simulate};

struct Args {
    agents: u32,
    calls_per_hour: f64,
    aht_s: f64,
    patience_s: Option<f64>,
    wrapup_s: f64,
    sl_threshold_s: f64,
    calls: u64,
    replications: u32,
    seed: u64,
    json: bool,
}

const USAGE: &str = "usage: simulate --agents N --calls-per-hour X --aht S [--patience S] [--wrapup S] \
[--sl-threshold S] [--calls N] [--replications R] [--seed K] [--json]";

fn parse<T: std::str::FromStr>(flag: &str, value: Option<String>) -> Result<T, String> {
    let value = value.ok_or_else(|| format!("{flag} needs a value"))?;
    value
        .parse()
        .map_err(|_| format!("{flag}: '{value}' is not a valid number"))
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        agents: 14,
        calls_per_hour: 200.0,
        aht_s: 180.0,
        patience_s: None,
        wrapup_s: 0.0,
        sl_threshold_s: 20.0,
        calls: 1_000_000,
        replications: 16,
        seed: 1,
        json: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--agents" => args.agents = parse(&flag, it.next())?,
            "--calls-per-hour" => args.calls_per_hour = parse(&flag, it.next())?,
            "--aht" => args.aht_s = parse(&flag, it.next())?,
            "--patience" => args.patience_s = Some(parse(&flag, it.next())?),
            "--wrapup" => args.wrapup_s = parse(&flag, it.next())?,
            "--sl-threshold" => args.sl_threshold_s = parse(&flag, it.next())?,
            "--calls" => args.calls = parse(&flag, it.next())?,
            "--replications" => args.replications = parse(&flag, it.next())?,
            "--seed" => args.seed = parse(&flag, it.next())?,
            "--json" => args.json = true,
            "--help" | "-h" => return Err(String::new()),
            other => return Err(format!("unknown option {other}")),
        }
    }
    if !(args.calls_per_hour > 0.0 && args.aht_s > 0.0) {
        return Err("--calls-per-hour and --aht must be positive".into());
    }
    Ok(args)
}

/// The closed form for each KPI, or None where it does not exist (Erlang C
/// with no more agents than erlangs).
struct Prediction {
    model: &'static str,
    p_wait: Option<f64>,
    service_level: Option<f64>,
    asa_s: Option<f64>,
    p_abandon: Option<f64>,
    occupancy: Option<f64>,
}

fn predict(args: &Args) -> Prediction {
    let handle = args.aht_s + args.wrapup_s;
    let traffic = args.calls_per_hour * handle / 3600.0;
    match args.patience_s {
        None => Prediction {
            model: "Erlang C",
            p_wait: erlang::erlang_c(traffic, args.agents).ok(),
            service_level: erlang::service_level(traffic, args.agents, handle, args.sl_threshold_s)
                .ok(),
            asa_s: erlang::average_speed_of_answer(traffic, args.agents, handle).ok(),
            p_abandon: Some(0.0),
            occupancy: erlang::occupancy(traffic, args.agents).ok(),
        },
        Some(patience) => match erlang_a(traffic, args.agents, handle, patience) {
            Ok(model) => Prediction {
                model: "Erlang A",
                p_wait: Some(model.p_wait()),
                service_level: model.service_level(args.sl_threshold_s).ok(),
                asa_s: Some(model.asa_s()),
                p_abandon: Some(model.p_abandon()),
                occupancy: Some(model.occupancy()),
            },
            Err(_) => Prediction {
                model: "Erlang A",
                p_wait: None,
                service_level: None,
                asa_s: None,
                p_abandon: None,
                occupancy: None,
            },
        },
    }
}

fn json_number(x: Option<f64>) -> String {
    match x {
        Some(v) if v.is_finite() => format!("{v}"),
        _ => "null".into(),
    }
}

fn rows(summary: &Summary, prediction: &Prediction) -> Vec<(&'static str, f64, f64, Option<f64>)> {
    vec![
        (
            "p_wait",
            summary.p_wait.mean,
            summary.p_wait.ci95,
            prediction.p_wait,
        ),
        (
            "service_level",
            summary.service_level.mean,
            summary.service_level.ci95,
            prediction.service_level,
        ),
        (
            "asa_s",
            summary.asa_s.mean,
            summary.asa_s.ci95,
            prediction.asa_s,
        ),
        (
            "p_abandon",
            summary.p_abandon.mean,
            summary.p_abandon.ci95,
            prediction.p_abandon,
        ),
        (
            "occupancy",
            summary.occupancy.mean,
            summary.occupancy.ci95,
            prediction.occupancy,
        ),
    ]
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            if !message.is_empty() {
                eprintln!("simulate: {message}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let scenario = match Scenario::erlang(
        args.agents,
        args.calls_per_hour,
        args.aht_s,
        args.patience_s,
        args.wrapup_s,
        args.sl_threshold_s,
    ) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("simulate: {e}");
            return ExitCode::from(2);
        }
    };
    let started = Instant::now();
    let report = match simulate(&scenario, args.calls, args.replications, args.seed) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("simulate: {e}");
            return ExitCode::from(2);
        }
    };
    let elapsed = started.elapsed().as_secs_f64();
    let summary = report.summary();
    let prediction = predict(&args);
    let rows = rows(&summary, &prediction);
    if args.json {
        let simulated: Vec<String> = rows
            .iter()
            .map(|(k, mean, ci, _)| {
                format!(
                    "\"{k}\": {{\"mean\": {}, \"ci95\": {}}}",
                    json_number(Some(*mean)),
                    json_number(Some(*ci))
                )
            })
            .collect();
        let erlang: Vec<String> = rows
            .iter()
            .map(|(k, _, _, e)| format!("\"{k}\": {}", json_number(*e)))
            .collect();
        println!(
            "{{\"simulated\": {{{}}}, \"erlang\": {{{}}}}}",
            simulated.join(", "),
            erlang.join(", ")
        );
        return ExitCode::SUCCESS;
    }
    println!(
        "{} agents, {} calls/h, AHT {} s, wrap-up {} s, patience {}, threshold {} s",
        args.agents,
        args.calls_per_hour,
        args.aht_s,
        args.wrapup_s,
        args.patience_s
            .map_or("none".to_string(), |p| format!("{p} s")),
        args.sl_threshold_s
    );
    #[allow(clippy::cast_precision_loss)]
    let rate = report.calls() as f64 / elapsed;
    println!(
        "{} calls in {} replications (seed {}), {:.2} s: {:.0} simulated calls/s\n",
        report.calls(),
        args.replications,
        args.seed,
        elapsed,
        rate
    );
    println!(
        "{:<14} {:>22} {:>12} {:>8}",
        "KPI", "simulated (95% CI)", prediction.model, "inside"
    );
    for (k, mean, ci, e) in rows {
        let inside = match e {
            Some(v) if (v - mean).abs() <= ci => "yes",
            Some(_) => "no",
            None => "-",
        };
        println!(
            "{k:<14} {:>11.4} ± {:<8.4} {:>12} {inside:>8}",
            mean,
            ci,
            e.map_or("n/a".to_string(), |v| format!("{v:.4}"))
        );
    }
    ExitCode::SUCCESS
}

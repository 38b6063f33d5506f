use super::*;
use serde_json::json;

fn t(v: Value) -> Transformation {
    parse_list("transformations", &json!([v])).expect("valid").remove(0)
}

fn call(from: &str, to: &str) -> Call {
    Call { from: from.into(), to: to.into(), direction: "inbound".into(), ..Call::default() }
}

struct Lrn(Result<Option<String>, LookupFailed>);
impl Services for Lrn {
    fn lookup_rn(&self, _n: &str) -> Result<Option<String>, LookupFailed> {
        self.0.clone()
    }
    fn stir_validate(&self, _c: &Call) -> BTreeMap<String, String> {
        [("stir_verstat".to_string(), "TN-Validation-Failed".to_string())].into_iter().collect()
    }
}

fn problems(v: Value) -> Vec<String> {
    parse_list("transformations", &json!([v])).unwrap_err().into_iter().map(|p| p.0).collect()
}

#[test]
fn the_reference_samples_are_valid() {
    for v in [
        json!({"action":"set_header_parameter","direction":"any","operands":["P-Charging-Vector","orig-ioi","privateSIP"]}),
        json!({"action":"rewrite_to","direction":"any","operands":["^([2-9]\\d{9})$","1\\1"]}),
        json!({"action":"rewrite_from","direction":"any","operands":["^([2-9]\\d{9})$","1\\1"]}),
        json!({"action":"if_match","direction":"inbound","operands":["{{stir_verstat}}","TN-Validation-Failed","reject","forbidden"]}),
        json!({"action":"lookup_rn","direction":"inbound","operands":["true","true","{{src}}","from","ignore","e164","domestic","e164_with_plus","passthrough"]}),
        json!({"action":"reject","direction":"inbound","operands":["busy"]}),
        json!({"action":"reject","direction":"inbound","operands":["intermediary-rejected","My reason for rejecting the call"]}),
        json!({"action":"rewrite_from_header_param","direction":"any","operands":["cnam","(.{1,14})","\\1*"]}),
        json!({"action":"rewrite_header","direction":"any","operands":["X-Custom-Header",":5060",":6060","sip:10.1.5.200:5060"]}),
        json!({"action":"rewrite_header_parameter","direction":"any","operands":["Remote-Party-ID","privacy","full","cnam","id"]}),
        json!({"action":"rewrite_to_header_param","direction":"any","operands":["npdi","yes","no"]}),
        json!({"action":"set_header","direction":"any","operands":["X-Custom-Header","sip:10.1.5.200:5060"]}),
        json!({"action":"set_user_data","direction":"any","operands":["identity","{{SipHeader_Identity}}"]}),
        json!({"action":"stir_validate","direction":"any","operands":[]}),
    ] {
        t(v);
    }
}

#[test]
fn bad_transformations_name_the_operand() {
    assert_eq!(
        problems(json!({"action":"teleport","direction":"any","operands":[]})),
        vec!["transformations[0].action"]
    );
    assert_eq!(
        problems(json!({"action":"reject","direction":"sideways","operands":["busy"]})),
        vec!["transformations[0].direction"]
    );
    assert_eq!(
        problems(json!({"action":"reject","direction":"any","operands":[]})),
        vec!["transformations[0].operands"]
    );
    assert_eq!(
        problems(json!({"action":"reject","direction":"any","operands":["nope"]})),
        vec!["transformations[0].operands[0]"]
    );
    assert_eq!(
        problems(json!({"action":"rewrite_to","direction":"any","operands":["([a-","x"]})),
        vec!["transformations[0].operands[0]"]
    );
    assert_eq!(
        problems(json!({"action":"rewrite_header","direction":"any","operands":["H","(","x","d"]})),
        vec!["transformations[0].operands[1]"]
    );
    assert_eq!(
        problems(json!({"action":"set_header","direction":"any","operands":["only-one"]})),
        vec!["transformations[0].operands"]
    );
    assert_eq!(
        problems(json!({"action":"if_match","direction":"any","operands":["{{src}}","[","reject","busy"]})),
        vec!["transformations[0].operands[1]"]
    );
    assert_eq!(
        problems(json!({"action":"if_match","direction":"any","operands":["{{src}}","x","reject","nope"]})),
        vec!["transformations[0].operands[3]"]
    );
    assert_eq!(
        problems(json!({"action":"if_match","direction":"any","operands":["{{src}}","x","fly"]})),
        vec!["transformations[0].operands[2]"]
    );
    assert_eq!(
        problems(json!({"action":"lookup_rn","direction":"any","operands":["maybe"]})),
        vec!["transformations[0].operands[0]"]
    );
    assert_eq!(
        problems(
            json!({"action":"lookup_rn","direction":"any","operands":["true","true","{{dst}}","to","die","e164","domestic","e164","passthrough","extra"]})
        ),
        vec!["transformations[0].operands"]
    );
    assert_eq!(
        problems(json!({"action":"stir_validate","direction":"any","operands":["x"]})),
        vec!["transformations[0].operands"]
    );
    assert_eq!(
        problems(json!({"action":"set_header","operands":["a",{"b":1}]})),
        vec!["transformations[0].operands[1]"]
    );
    assert_eq!(
        problems(json!({"action":"set_header","operands":["a","b"],"extra":1})),
        vec!["transformations[0].extra"]
    );
    assert!(parse_list("transformations", &json!({"a":1})).is_err());
    let operands: Vec<String> = (0..101).map(|i| i.to_string()).collect();
    assert_eq!(problems(json!({"action":"if_match","operands":operands})), vec!["transformations[0].operands"]);
}

#[test]
fn direction_defaults_to_any() {
    assert_eq!(t(json!({"action":"stir_validate"})).direction, "any");
}

#[test]
fn rewrite_to_and_from_add_the_leading_one() {
    let list = vec![
        t(json!({"action":"rewrite_to","direction":"any","operands":["^([2-9]\\d{9})$","1\\1"]})),
        t(json!({"action":"rewrite_from","direction":"any","operands":["^([2-9]\\d{9})$","1\\1"]})),
    ];
    let mut c = call("5162065319", "15162065318");
    apply(&list, &mut c, &NoServices);
    assert_eq!(c.from, "15162065319");
    assert_eq!(c.to, "15162065318", "already has the 1");
}

#[test]
fn direction_selects_what_applies() {
    let list = vec![t(json!({"action":"reject","direction":"outbound","operands":["busy"]}))];
    let mut c = call("1", "2");
    apply(&list, &mut c, &NoServices);
    assert_eq!(c.rejected, None);
    c.direction = "outbound".into();
    apply(&list, &mut c, &NoServices);
    assert_eq!(c.rejected, Some((600, "busy".into(), None)));
}

#[test]
fn reject_stops_the_list_and_carries_its_message() {
    let list = vec![
        t(
            json!({"action":"reject","direction":"inbound","operands":["intermediary-rejected","My reason for rejecting the call"]}),
        ),
        t(json!({"action":"set_header","direction":"any","operands":["X-After","1"]})),
    ];
    let mut c = call("1", "2");
    apply(&list, &mut c, &NoServices);
    assert_eq!(
        c.rejected,
        Some((608, "intermediary-rejected".into(), Some("My reason for rejecting the call".into())))
    );
    assert_eq!(c.header("X-After"), None);
}

#[test]
fn if_match_rejects_calls_that_failed_validation() {
    let list = vec![
        t(json!({"action":"stir_validate","direction":"any","operands":[]})),
        t(
            json!({"action":"if_match","direction":"inbound","operands":["{{stir_verstat}}","TN-Validation-Failed","reject","forbidden"]}),
        ),
    ];
    let mut c = call("1", "2");
    apply(&list, &mut c, &Lrn(Ok(None)));
    assert_eq!(c.vars["stir_verstat"], "TN-Validation-Failed");
    assert_eq!(c.rejected, Some((403, "forbidden".into(), None)));
    let mut c = call("1", "2");
    apply(&list, &mut c, &NoServices);
    assert_eq!(c.rejected, None);
}

#[test]
fn headers_and_their_parameters() {
    let list = vec![
        t(json!({"action":"set_header","direction":"any","operands":["X-Custom-Header","sip:10.1.5.200:5060"]})),
        t(
            json!({"action":"rewrite_header","direction":"any","operands":["X-Custom-Header",":5060",":6060","sip:10.1.5.200:5060"]}),
        ),
        t(
            json!({"action":"rewrite_header","direction":"any","operands":["X-Missing",":5060",":6060","sip:10.1.5.200:5060"]}),
        ),
        t(
            json!({"action":"set_header_parameter","direction":"any","operands":["P-Charging-Vector","orig-ioi","privateSIP"]}),
        ),
        t(
            json!({"action":"rewrite_header_parameter","direction":"any","operands":["Remote-Party-ID","privacy","full","cnam","id"]}),
        ),
    ];
    let mut c = call("1", "2");
    c.headers.push(("P-Charging-Vector".into(), "icid-value=abc;orig-ioi=old".into()));
    c.headers.push(("Remote-Party-ID".into(), "<sip:1@x>;privacy=full".into()));
    apply(&list, &mut c, &NoServices);
    assert_eq!(c.header("x-custom-header"), Some("sip:10.1.5.200:6060"));
    assert_eq!(c.header("X-Missing"), Some("sip:10.1.5.200:5060"));
    assert_eq!(c.header("P-Charging-Vector"), Some("icid-value=abc;orig-ioi=privateSIP"));
    assert_eq!(c.header("Remote-Party-ID"), Some("<sip:1@x>;privacy=cnam"));
    let mut c = call("1", "2");
    c.headers.push(("Remote-Party-ID".into(), "<sip:1@x>".into()));
    apply(&list[4..], &mut c, &NoServices);
    assert_eq!(c.header("Remote-Party-ID"), Some("<sip:1@x>;privacy=id"), "created with the default");
}

#[test]
fn from_and_to_header_parameters() {
    let list = vec![
        t(json!({"action":"rewrite_from_header_param","direction":"any","operands":["cnam","(.{1,14})","\\1*"]})),
        t(json!({"action":"rewrite_to_header_param","direction":"any","operands":["npdi","yes","no"]})),
    ];
    let mut c = call("1", "2");
    c.from_params.insert("cnam".into(), "A VERY LONG CALLER NAME".into());
    c.to_params.insert("npdi".into(), "yes".into());
    apply(&list, &mut c, &NoServices);
    assert_eq!(c.from_params["cnam"], "A VERY LONG CA*LLER NAME");
    assert_eq!(c.to_params["npdi"], "no");
}

#[test]
fn user_data_from_a_header() {
    let list =
        vec![t(json!({"action":"set_user_data","direction":"any","operands":["identity","{{SipHeader_Identity}}"]}))];
    let mut c = call("1", "2");
    c.headers.push(("Identity".into(), "eyJhbGciOi...".into()));
    apply(&list, &mut c, &NoServices);
    assert_eq!(c.user_data["identity"], "eyJhbGciOi...");
}

#[test]
fn lookup_rn_stores_the_routing_number() {
    let sample = t(
        json!({"action":"lookup_rn","direction":"inbound","operands":["true","true","{{src}}","from","ignore","e164","domestic","e164_with_plus","passthrough"]}),
    );
    let mut c = call("15162065319", "2");
    apply(std::slice::from_ref(&sample), &mut c, &Lrn(Ok(Some("5162060000".into()))));
    assert_eq!(c.from_params["rn"], "5162060000");
    assert!(c.from_params.contains_key("npdi"));
    // ignore on failure: the call goes on untouched
    let mut c = call("15162065319", "2");
    apply(std::slice::from_ref(&sample), &mut c, &Lrn(Err(LookupFailed)));
    assert_eq!(c.rejected, None);
    assert!(c.from_params.is_empty());
    // die (the default) on failure
    let die = t(json!({"action":"lookup_rn","operands":[]}));
    let mut c = call("1", "5162065319");
    apply(std::slice::from_ref(&die), &mut c, &Lrn(Err(LookupFailed)));
    assert_eq!(c.rejected.map(|r| r.0), Some(503));
    // international numbers are not looked up
    let mut c = call("1", "+442071234567");
    apply(std::slice::from_ref(&die), &mut c, &Lrn(Ok(Some("x".into()))));
    assert!(c.to_params.is_empty());
    // a custom header as the destination, in E.164 with plus
    let hdr =
        t(json!({"action":"lookup_rn","operands":["false","false","{{dst}}","X-LRN","die","guess","e164_with_plus"]}));
    let mut c = call("1", "5162065319");
    apply(std::slice::from_ref(&hdr), &mut c, &Lrn(Ok(Some("5162060000".into()))));
    assert_eq!(c.header("X-LRN"), Some("+15162060000"));
}

#[test]
fn replacements_use_backslash_groups() {
    assert_eq!(replacement("1\\1"), "1${1}");
    assert_eq!(replacement("\\1*"), "${1}*");
    assert_eq!(replacement("$x"), "$$x");
}

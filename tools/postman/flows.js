// The "Flows" folder of the Postman collection: scripted requests that carry values from one to
// the next (collection variables) and assert on status and body. One flow from a new partner to
// its paid invoice: token → partner → endpoint → rent a number → trunk group → ACL rule → batch
// task → call records → a simulated call and one its ACL refuses → an SMS sent, polled to
// delivered, its record → invoice. Scripts are written as functions here and stored as their bodies.

// The statements of a function, as the lines of a Postman script.
function script(fn) {
  const src = fn.toString();
  const body = src.slice(src.indexOf('{') + 1, src.lastIndexOf('}'));
  const lines = body.split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => l.match(/^ */)[0].length));
  return lines.map((l) => l.slice(indent)).filter((l, i, all) => l.trim() || (i > 0 && i < all.length - 1));
}

const bearer = (variable) => ({ type: 'bearer', bearer: [{ key: 'token', value: `{{${variable}}}`, type: 'string' }] });
const AS_ROOT = bearer('token');
const AS_PARTNER = bearer('partnerToken');

function step(name, method, path, { as, json, form, pre, test, description } = {}) {
  const [pathname, query] = path.split('?');
  const url = {
    raw: `{{baseUrl}}${path}`,
    host: ['{{baseUrl}}'],
    path: pathname.split('/').filter(Boolean),
  };
  if (query) {
    url.query = query.split('&').map((kv) => {
      const [key, value] = kv.split('=');
      return { key, value };
    });
  }
  const request = { method, header: [{ key: 'Accept', value: 'application/json' }], url };
  if (description) request.description = description;
  if (as) request.auth = as;
  if (json !== undefined) {
    request.header.push({ key: 'Content-Type', value: 'application/json' });
    request.body = { mode: 'raw', raw: JSON.stringify(json, null, 2), options: { raw: { language: 'json' } } };
  }
  if (form) {
    request.header.push({ key: 'Content-Type', value: 'application/x-www-form-urlencoded' });
    request.body = { mode: 'urlencoded', urlencoded: Object.entries(form).map(([key, value]) => ({ key, value })) };
  }
  const event = [];
  if (pre) event.push({ listen: 'prerequest', script: { type: 'text/javascript', exec: script(pre) } });
  if (test) event.push({ listen: 'test', script: { type: 'text/javascript', exec: script(test) } });
  return { name, event, request, response: [] };
}

/* global pm */
const items = [
  step('Root: who am I', 'GET', '/oauth/whoami', {
    as: AS_ROOT,
    description: 'The root partner of this server (the `token` of the environment).',
    test() {
      pm.test('200 and the root partner', () => {
        pm.response.to.have.status(200);
        const me = pm.response.json();
        pm.expect(me.partner_sid).to.match(/^[0-9a-f-]{36}$/);
        pm.expect(me.available_scopes).to.include('partners.create');
      });
    },
  }),
  step('Create a partner', 'POST', '/partners', {
    as: AS_ROOT,
    json: { login: '{{flowLogin}}', password: '{{flowPassword}}', name: 'Flow Co', company_name: 'Flow Co' },
    pre() {
      pm.collectionVariables.set('flowLogin', `flow${Date.now()}`);
      pm.collectionVariables.set('flowPassword', `pw-${Math.random().toString(36).slice(2)}-${Date.now()}`);
    },
    test() {
      pm.test('200 and the new partner, active, a child of root', () => {
        pm.response.to.have.status(200);
        const p = pm.response.json();
        pm.expect(p.login).to.eql(pm.collectionVariables.get('flowLogin'));
        pm.expect(p.name).to.eql('Flow Co');
        pm.expect(p.status).to.eql('active');
        pm.expect(p).to.not.have.property('password');
        pm.collectionVariables.set('partnerSid', p.partner_sid);
      });
    },
  }),
  step('Partner: sign in (OAuth password grant)', 'POST', '/oauth/token', {
    as: { type: 'noauth' },
    form: {
      grant_type: 'password',
      client_id: '{{clientId}}',
      client_secret: '{{clientSecret}}',
      username: '{{flowLogin}}',
      password: '{{flowPassword}}',
      name: 'postman flow',
    },
    test() {
      pm.test('200 and a bearer token of the new partner', () => {
        pm.response.to.have.status(200);
        const t = pm.response.json();
        pm.expect(t.token_type).to.eql('bearer');
        pm.expect(t.partner_sid).to.eql(pm.collectionVariables.get('partnerSid'));
        pm.expect(t.access_token).to.be.a('string').and.not.be.empty;
        pm.collectionVariables.set('partnerToken', t.access_token);
      });
    },
  }),
  step('Partner: who am I', 'GET', '/oauth/whoami', {
    as: AS_PARTNER,
    test() {
      pm.test('the token speaks for the new partner', () => {
        pm.response.to.have.status(200);
        pm.expect(pm.response.json().partner_sid).to.eql(pm.collectionVariables.get('partnerSid'));
      });
    },
  }),
  step('Partner: card on file', 'POST', '/partners/{{partnerSid}}/billing_method', {
    as: AS_PARTNER,
    json: {
      type: 'visa', cc_number: '4012888818888', cc_expiration: '122030', cc_cid: '318', first_name: 'Flow',
      last_name: 'Tester', address1: '4300 E Pacific Coast Hwy', city: 'Long Beach', state: 'CA', zip: '90804',
      country_code: 'USA', phone: '15625550100',
    },
    test() {
      pm.test('200, a visa card, its number not shown in full', () => {
        pm.response.to.have.status(200);
        const m = pm.response.json();
        pm.expect(m.type).to.eql('visa');
        pm.expect(JSON.stringify(m)).to.not.include('4012888818888');
      });
    },
  }),
  step('Partner: create an endpoint', 'POST', '/endpoints', {
    as: AS_PARTNER,
    json: { name: 'Flow PBX', type: 'third_party', addresses: [{ ip: '198.51.100.20', port: 5060 }] },
    test() {
      pm.test('200, a third-party endpoint at its address', () => {
        pm.response.to.have.status(200);
        const e = pm.response.json();
        pm.expect(e.type).to.eql('third_party');
        pm.expect(e.addresses[0].ip).to.eql('198.51.100.20');
        pm.expect(e.partner_sid).to.eql(pm.collectionVariables.get('partnerSid'));
        pm.collectionVariables.set('endpointSid', e.endpoint_sid);
      });
    },
  }),
  step('Partner: available numbers in New York', 'GET', '/phonenumber/available_dids?filter=state eq NY&limit=5', {
    as: AS_PARTNER,
    test() {
      pm.test('a page of New York numbers', () => {
        pm.response.to.have.status(200);
        const page = pm.response.json();
        pm.expect(page.items).to.have.lengthOf.at.least(1);
        pm.expect(page.limit).to.eql(5);
        page.items.forEach((d) => pm.expect(d.state).to.eql('NY'));
        pm.collectionVariables.set('phonenumber', page.items[0].phonenumber);
      });
    },
  }),
  step('Partner: rent the number', 'POST', '/phonenumber/dids', {
    as: AS_PARTNER,
    json: { phonenumber: '{{phonenumber}}', name: 'Flow main line' },
    test() {
      pm.test('200, the number is the partner\'s', () => {
        pm.response.to.have.status(200);
        const d = pm.response.json();
        pm.expect(d.phonenumber).to.eql(pm.collectionVariables.get('phonenumber'));
        pm.expect(d.partner_sid).to.eql(pm.collectionVariables.get('partnerSid'));
        pm.expect(d.name).to.eql('Flow main line');
        pm.collectionVariables.set('didSid', d.did_sid);
      });
    },
  }),
  step('Partner: renting it twice is a conflict', 'POST', '/phonenumber/dids', {
    as: AS_PARTNER,
    json: { phonenumber: '{{phonenumber}}' },
    test() {
      pm.test('409 naming phonenumber', () => {
        pm.response.to.have.status(409);
        pm.expect(pm.response.json().errors[0].field).to.eql('phonenumber');
      });
    },
  }),
  step('Partner: create a trunk group', 'POST', '/trunk_groups?with_trunks=true', {
    as: AS_PARTNER,
    json: { name: 'Flow office', trunks: [{ name: 'Flow PBX', endpoint_sid: '{{endpointSid}}' }] },
    test() {
      pm.test('200, one trunk to the endpoint', () => {
        pm.response.to.have.status(200);
        const g = pm.response.json();
        pm.expect(g.name).to.eql('Flow office');
        pm.expect(g.trunks).to.have.lengthOf(1);
        pm.expect(g.trunks[0].endpoint_sid).to.eql(pm.collectionVariables.get('endpointSid'));
        pm.collectionVariables.set('trunkGroupSid', g.trunk_group_sid);
        pm.collectionVariables.set('trunkSid', g.trunks[0].trunk_sid);
      });
    },
  }),
  step('Partner: route the number to the trunk group', 'PATCH', '/phonenumber/dids/{{didSid}}', {
    as: AS_PARTNER,
    json: { trunk_group_sid: '{{trunkGroupSid}}' },
    test() {
      pm.test('200, routed, the rest unchanged', () => {
        pm.response.to.have.status(200);
        const d = pm.response.json();
        pm.expect(d.trunk_group_sid).to.eql(pm.collectionVariables.get('trunkGroupSid'));
        pm.expect(d.name).to.eql('Flow main line');
      });
    },
  }),
  step('Partner: create an access control rule', 'POST', '/accesscontrol/rules', {
    as: AS_PARTNER,
    json: { name: 'Premium-rate destinations', field: 'to', quantifier: 'any', entries: ['1900', '1976'], operation: 'prefix' },
    test() {
      pm.test('200 and the rule', () => {
        pm.response.to.have.status(200);
        const r = pm.response.json();
        pm.expect(r.entries).to.eql(['1900', '1976']);
        pm.expect(r.operation).to.eql('prefix');
        pm.collectionVariables.set('ruleSid', r.rule_sid);
      });
    },
  }),
  step('Partner: apply the rule to the trunk group', 'PATCH', '/trunk_groups/{{trunkGroupSid}}', {
    as: AS_PARTNER,
    json: { acls: [{ access_control_rules: ['{{ruleSid}}'], direction: 'outbound', voice_action_true: 'reject403' }] },
    test() {
      pm.test('200, the ACL refers to the rule, the trunk kept', () => {
        pm.response.to.have.status(200);
        const g = pm.response.json();
        pm.expect(g.acls[0].access_control_rules).to.eql([pm.collectionVariables.get('ruleSid')]);
        pm.expect(g.acls[0].voice_action_true).to.eql('reject403');
      });
    },
  }),
  step('Partner: effective ACLs of calls through the trunk', 'GET', '/accesscontrol/effective_acl/calls?trunk_sid={{trunkSid}}', {
    as: AS_PARTNER,
    test() {
      pm.test('200: one layer (the trunk group\'s) carries the rule', () => {
        pm.response.to.have.status(200);
        const layers = pm.response.json().items;
        const rule = pm.collectionVariables.get('ruleSid');
        const hit = layers.filter((l) => l.effective_acls.some((a) => (a.access_control_rules || []).includes(rule)));
        pm.expect(hit, JSON.stringify(layers)).to.have.lengthOf(1);
        pm.expect(hit[0].effective_acls[0].voice_action_true).to.eql('reject403');
      });
    },
  }),
  step('Partner: batch task renting two more numbers', 'POST', '/batch/tasks', {
    as: AS_PARTNER,
    json: { method: 'POST', type: 'phonenumber', data: [{ trunk_group_sid: '{{trunkGroupSid}}' }, { trunk_group_sid: '{{trunkGroupSid}}' }] },
    test() {
      pm.test('200, the task is created', () => {
        pm.response.to.have.status(200);
        const t = pm.response.json();
        pm.expect(t.method).to.eql('POST');
        pm.expect(t.status).to.be.oneOf(['created', 'queued', 'running', 'completed']);
        pm.collectionVariables.set('taskSid', t.task_sid);
        pm.collectionVariables.set('taskPolls', 0);
      });
    },
  }),
  step('Partner: the batch task completes', 'GET', '/batch/tasks/{{taskSid}}', {
    as: AS_PARTNER,
    description: 'Polled (up to 60 times, half a second apart) until the worker has run the task.',
    test() {
      const t = pm.response.json();
      const polls = Number(pm.collectionVariables.get('taskPolls')) + 1;
      pm.collectionVariables.set('taskPolls', polls);
      if (t.status !== 'completed' && t.status !== 'failed' && polls < 60) {
        setTimeout(() => {}, 500);
        pm.execution.setNextRequest(pm.info.requestName);
        return;
      }
      pm.test('completed: two numbers rented', () => {
        pm.response.to.have.status(200);
        pm.expect(t.status).to.eql('completed');
        pm.expect(t.success).to.eql(2);
        pm.expect(t.failure).to.eql(0);
        pm.expect(t.total).to.eql(2);
      });
    },
  }),
  step('Partner: the numbers on the trunk group', 'GET', '/phonenumber/dids?filter=trunk_group_sid eq "{{trunkGroupSid}}"', {
    as: AS_PARTNER,
    test() {
      pm.test('three numbers, all routed to the trunk group', () => {
        pm.response.to.have.status(200);
        const page = pm.response.json();
        pm.expect(page.total).to.eql(3);
        page.items.forEach((d) => pm.expect(d.trunk_group_sid).to.eql(pm.collectionVariables.get('trunkGroupSid')));
      });
    },
  }),
  step('Admin: ingest call records', 'POST', '/admin/calls/call_drs', {
    as: AS_ROOT,
    json: [
      { partner_sid: '{{partnerSid}}', type: 'telecom', direction: 'outbound', date_start: '{{callStart}}', date_stop: '{{callStop}}',
        duration: '125', number_billing: '{{phonenumber}}', number_src: '{{phonenumber}}', number_dst: '12125550100' },
      { partner_sid: '{{partnerSid}}', type: 'telecom', direction: 'inbound', date_start: '{{callStart}}', date_stop: '{{callStop}}',
        duration: '61', number_billing: '{{phonenumber}}', number_src: '13125550199', number_dst: '{{phonenumber}}' },
    ],
    pre() {
      const stop = new Date(Date.now() - 60000);
      pm.collectionVariables.set('callStop', stop.toISOString());
      pm.collectionVariables.set('callStart', new Date(stop.getTime() - 125000).toISOString());
    },
    test() {
      pm.test('200 and two records, rated', () => {
        pm.response.to.have.status(200);
        const recs = pm.response.json();
        pm.expect(recs).to.have.lengthOf(2);
        recs.forEach((r) => {
          pm.expect(r.price).to.be.a('string');
          pm.expect(r.rate).to.be.a('string');
        });
      });
    },
  }),
  step('Partner: its call records', 'GET', '/calls/call_drs', {
    as: AS_PARTNER,
    test() {
      pm.test('the two records, keyset paged (total null)', () => {
        pm.response.to.have.status(200);
        const page = pm.response.json();
        pm.expect(page.count).to.eql(2);
        pm.expect(page.total).to.eql(null);
        page.items.forEach((r) => pm.expect(r.number_billing).to.eql(pm.collectionVariables.get('phonenumber')));
      });
    },
  }),
  step('Admin: offer a call to the number', 'POST', '/admin/simulator/calls', {
    as: AS_ROOT,
    json: { from: '12125550100', to: '{{phonenumber}}', duration: 30 },
    description: 'The simulated network routes it: the number, the partner, the trunk group, a trunk, the endpoint (LOCAL.md).',
    test() {
      pm.test('200, completed through the trunk, traced, rated', () => {
        pm.response.to.have.status(200);
        const t = pm.response.json();
        pm.expect(t.status).to.eql('completed');
        pm.expect(t.sip_code).to.eql(200);
        pm.expect(t.trunk_sid).to.eql(pm.collectionVariables.get('trunkSid'));
        pm.expect(t.endpoint_sid).to.eql(pm.collectionVariables.get('endpointSid'));
        pm.expect(t.steps.some((s) => s.step === 'route' && s.result === 'chosen')).to.eql(true);
        pm.expect(t.price).to.be.a('string');
        pm.collectionVariables.set('callDrSid', t.dr_sid);
      });
    },
  }),
  step('Admin: a call to a premium-rate number is refused by the ACL', 'POST', '/admin/simulator/calls', {
    as: AS_ROOT,
    json: { direction: 'outbound', trunk_group_sid: '{{trunkGroupSid}}', from: '{{phonenumber}}', to: '19005550100' },
    test() {
      pm.test('200, rejected with 403 by the trunk group\'s layer, not recorded', () => {
        pm.response.to.have.status(200);
        const t = pm.response.json();
        pm.expect(t.status).to.eql('rejected');
        pm.expect(t.sip_code).to.eql(403);
        pm.expect(t.dr_sid).to.eql(null);
        const acl = t.steps.filter((s) => s.step === 'acl').pop();
        pm.expect(acl.object).to.eql('trunk_group');
        pm.expect(acl.result).to.eql('reject403');
      });
    },
  }),
  step('Partner: the simulated call\'s record', 'GET', '/calls/call_drs/{{callDrSid}}', {
    as: AS_PARTNER,
    test() {
      pm.test('200, inbound to the number, rated', () => {
        pm.response.to.have.status(200);
        const r = pm.response.json();
        pm.expect(r.direction).to.eql('inbound');
        pm.expect(r.number_billing).to.eql(pm.collectionVariables.get('phonenumber'));
        pm.expect(r.trunk_group_sid_dst).to.eql(pm.collectionVariables.get('trunkGroupSid'));
        pm.expect(r.duration).to.eql('30');
        pm.expect(r.rate).to.be.a('string');
      });
    },
  }),
  step('Partner: send an SMS from the number', 'POST', '/sms/messages', {
    as: AS_PARTNER,
    json: { from: '{{phonenumber}}', to: '14155552671', message: 'Hello from the Postman flow' },
    description: 'The simulated network takes it from queued to sent to delivered (LOCAL.md).',
    test() {
      pm.test('200, queued, one SMS segment, priced once sent', () => {
        pm.response.to.have.status(200);
        const m = pm.response.json();
        pm.expect(m.status).to.eql('queued');
        pm.expect(m.type).to.eql('sms');
        pm.expect(m.message_segments).to.eql(1);
        pm.expect(m.price).to.eql(null);
        pm.collectionVariables.set('messageSid', m.message_sid);
        pm.collectionVariables.set('messagePolls', '0');
      });
    },
  }),
  step('Partner: poll the message until it is delivered', 'GET', '/sms/messages/{{messageSid}}', {
    as: AS_PARTNER,
    description: 'Polled (up to 50 times, a tenth of a second apart) until the network has delivered it.',
    test() {
      const m = pm.response.json();
      const polls = Number(pm.collectionVariables.get('messagePolls')) + 1;
      pm.collectionVariables.set('messagePolls', polls);
      if (m.status !== 'delivered' && m.status !== 'failed' && polls < 50) {
        setTimeout(() => {}, 100);
        pm.execution.setNextRequest(pm.info.requestName);
        return;
      }
      pm.test('delivered, with its price', () => {
        pm.response.to.have.status(200);
        pm.expect(m.status).to.eql('delivered');
        pm.expect(m.price).to.eql('0.01');
        pm.expect(m.mcc).to.eql(310);
      });
    },
  }),
  step('Partner: the message record', 'GET', '/sms/message_drs?filter=number_billing eq {{phonenumber}}', {
    as: AS_PARTNER,
    test() {
      pm.test('one record, delivered, rated (keyset paged: total null)', () => {
        pm.response.to.have.status(200);
        const page = pm.response.json();
        pm.expect(page.total).to.eql(null);
        const r = page.items.find((i) => i.number_external === '14155552671');
        pm.expect(r.status).to.eql('delivered');
        pm.expect(r.rate).to.eql('0.01');
        pm.expect(r.price).to.eql('0.01');
        pm.expect(r.direction).to.eql('outbound');
      });
    },
  }),
  step('Partner: the open invoice', 'GET', '/invoices?filter=status eq open', {
    as: AS_PARTNER,
    test() {
      pm.test('one open invoice with the rentals and the calls on it', () => {
        pm.response.to.have.status(200);
        const page = pm.response.json();
        pm.expect(page.total).to.eql(1);
        const inv = page.items[0];
        const kinds = inv.invoice_items.map((i) => i.type);
        pm.expect(kinds).to.include('did');
        pm.expect(kinds).to.include('toll');
        pm.expect(kinds).to.include('sms');
        pm.collectionVariables.set('invoiceSid', inv.invoice_sid);
      });
    },
  }),
  step('Admin: close the billing period', 'POST', '/admin/partners/{{partnerSid}}/close_billing_period', {
    as: AS_ROOT,
    test() {
      pm.test('the invoice is issued and settled (the starting credit, then the card)', () => {
        pm.response.to.have.status(200);
        const inv = pm.response.json();
        pm.expect(inv.invoice_sid).to.eql(pm.collectionVariables.get('invoiceSid'));
        pm.expect(inv.status).to.eql('complete');
        pm.expect(Number(inv.amount)).to.be.above(0);
        pm.expect(inv.paid).to.eql(true);
        inv.pay_items.forEach((p) => pm.expect(p.type).to.eql('credit_card'));
      });
    },
  }),
  step('Partner: the invoice as PDF', 'GET', '/invoices/{{invoiceSid}}.pdf', {
    as: AS_PARTNER,
    test() {
      pm.test('200, a PDF', () => {
        pm.response.to.have.status(200);
        pm.expect(pm.response.headers.get('Content-Type')).to.include('application/pdf');
        pm.expect(pm.response.text().slice(0, 5)).to.eql('%PDF-');
      });
    },
  }),
  step('Root: delete the partner', 'DELETE', '/partners/{{partnerSid}}', {
    as: AS_ROOT,
    test() {
      pm.test('204', () => pm.response.to.have.status(204));
    },
  }),
  step('Partner: its token no longer works', 'GET', '/oauth/whoami', {
    as: AS_PARTNER,
    test() {
      pm.test('401 authentication required', () => {
        pm.response.to.have.status(401);
        pm.expect(pm.response.json().message).to.eql('authentication required');
      });
    },
  }),
];

module.exports = {
  name: 'Flows',
  description:
    'Scripted requests that carry values from one to the next, with assertions: run the folder ' +
    '(Postman: Run folder; newman: --folder Flows) against a server with demo data.',
  item: items,
};

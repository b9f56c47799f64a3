// Checkout, progressively enhanced: the page works without JavaScript («Рассчитать доставку» reloads it).
// With it: shipping options, prices and totals follow the region, method and city without a reload
// (GET /checkout/shipping answers JSON with the same HTML the page renders), the pickup point list shows only
// for a pickup method, and what the buyer types is kept with the cart (POST /checkout/draft) as they go and
// when they leave, so it is there when they come back.
(function () {
  'use strict';
  var form = document.getElementById('checkout-form');
  if (!form || !window.fetch) { return; }
  var choice = document.getElementById('shipping-choice');
  var totals = document.getElementById('checkout-totals');
  var calculate = document.getElementById('calculate-shipping');
  if (calculate) { calculate.hidden = true; }

  function value(name) {
    var field = form.elements[name];
    if (!field) { return ''; }
    if (field.length !== undefined && !field.tagName) {  // a radio group
      for (var i = 0; i < field.length; i += 1) { if (field[i].checked) { return field[i].value; } }
      return '';
    }
    return field.value;
  }

  function togglePickup() {
    var block = document.getElementById('pickup-point-field');
    if (!block) { return; }
    var checked = form.querySelector('input[name=shipping_method]:checked');
    block.hidden = !(checked && checked.dataset.pickup === '1');
  }

  var pending = null;
  function refresh() {
    if (pending) { pending.abort(); }
    pending = window.AbortController ? new AbortController() : null;
    var params = new URLSearchParams();
    ['region_code', 'city', 'shipping_method', 'promo_code', 'pickup_point'].forEach(function (name) {
      params.set(name, value(name));
    });
    fetch(form.dataset.shippingUrl + '?' + params.toString(), {
      headers: { Accept: 'application/json' }, credentials: 'same-origin', signal: pending ? pending.signal : undefined
    }).then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.json();
    }).then(function (data) {
      var point = value('pickup_point');  // chosen while the answer was on its way: keep it
      choice.innerHTML = data.html.shipping;
      var select = form.elements.pickup_point;
      if (point && select && select.querySelector('option[value="' + point + '"]')) { select.value = point; }
      totals.innerHTML = data.html.totals;
      togglePickup();
    }).catch(function (error) {
      if (error && error.name === 'AbortError') { return; }
      if (calculate) { calculate.hidden = false; }  // the no-JavaScript way still works
    });
  }

  var timer = null;
  function saveDraft(now) {
    window.clearTimeout(timer);
    var send = function () {
      var data = new FormData(form);
      ['consent_personal_data', 'consent_marketing', 'action'].forEach(function (name) { data.delete(name); });
      if (now && navigator.sendBeacon) { navigator.sendBeacon(form.dataset.draftUrl, data); return; }
      fetch(form.dataset.draftUrl, { method: 'POST', body: data, credentials: 'same-origin', keepalive: true })
        .catch(function () {});
    };
    if (now) { send(); } else { timer = window.setTimeout(send, 800); }
  }

  form.addEventListener('change', function (event) {
    var name = event.target.name;
    if (name === 'region_code' || name === 'shipping_method' || name === 'city') { refresh(); }
    if (name === 'shipping_method') { togglePickup(); }
    saveDraft(false);
  });
  form.addEventListener('input', function () { saveDraft(false); });
  window.addEventListener('pagehide', function () { if (timer) { saveDraft(true); } });
  form.addEventListener('submit', function () { window.clearTimeout(timer); timer = null; });

  var saved = document.getElementById('saved-address');
  if (saved) {
    saved.addEventListener('change', function () {
      var option = saved.options[saved.selectedIndex];
      ['region_code', 'city', 'postcode', 'street', 'recipient', 'recipient_phone'].forEach(function (name) {
        if (option.dataset[name] !== undefined) { document.getElementById(name).value = option.dataset[name]; }
      });
      refresh();
      saveDraft(false);
    });
  }
  togglePickup();
}());

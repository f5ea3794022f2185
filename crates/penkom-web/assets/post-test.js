// Penkom's post-test page: saves answers as the learner goes (and when the page is left), and
// counts down to the server's deadline. Without this script the form still works: "Simpan" and
// "Kumpulkan" are plain submit buttons.
(function () {
  'use strict';

  var form = document.getElementById('post-test');
  if (!form) return;
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute('content');
  var status = document.getElementById('autosave');
  var countdown = document.getElementById('countdown');
  var value = document.getElementById('countdown-value');
  var timeUp = document.getElementById('time-up');
  var pending = null;
  var dirty = false;

  function body() {
    var data = new URLSearchParams(new FormData(form));
    data.set('aksi', 'simpan');
    return data;
  }

  function save(keepalive) {
    dirty = false;
    return fetch(form.action, {
      method: 'POST',
      credentials: 'same-origin',
      keepalive: !!keepalive,
      redirect: 'manual',
      headers: { 'Accept': 'application/json', 'X-CSRF-Token': csrf },
      body: body()
    }).then(function (res) {
      var json = (res.headers.get('Content-Type') || '').indexOf('application/json') === 0;
      if (!res.ok || !json) throw res;
      return res.json();
    }).then(function (r) {
      var now = new Date();
      var hh = String(now.getHours()).padStart(2, '0'), mm = String(now.getMinutes()).padStart(2, '0');
      status.textContent = r.answered + ' dari ' + r.questions + ' soal terjawab · tersimpan pukul ' + hh + '.' + mm;
      status.className = 'status-line ok';
    }).catch(function () {
      dirty = true;
      status.textContent = 'Jawaban belum tersimpan (koneksi terputus?). Akan dicoba lagi; Anda juga bisa menekan "Simpan jawaban".';
      status.className = 'status-line error';
    });
  }

  form.addEventListener('change', function () {
    dirty = true;
    clearTimeout(pending);
    pending = setTimeout(function () { save(false); }, 300);
  });
  // A failed save is retried every ten seconds until one gets through.
  setInterval(function () { if (dirty) save(false); }, 10000);
  window.addEventListener('pagehide', function () { if (dirty) save(true); });

  if (countdown && value) {
    var end = Date.now() + Number(countdown.dataset.remainingMs);
    var submitted = false;
    var tick = function () {
      var left = Math.max(0, end - Date.now());
      var s = Math.ceil(left / 1000), h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
      var text = (h > 0 ? h + '.' + String(m).padStart(2, '0') : String(m).padStart(2, '0')) + '.' + String(sec).padStart(2, '0');
      if (value.textContent !== text) value.textContent = text;
      if (left === 0 && !submitted) {
        // Time is up: what is saved is what counts; save the last change, then hand it in.
        submitted = true;
        value.textContent = 'waktu habis';
        save(false).then(function () { timeUp.submit(); });
      }
    };
    tick();
    setInterval(tick, 250);
  }
})();

/* The on-site counter's two devices (issue 20; P4, P6). A static file: the pages' CSP allows no inline script.
 *
 * The camera (P4): the counter's camera through getUserMedia; the frame taken is cropped to 4:3 around its centre,
 * scaled to 800×600 and encoded as JPEG, put into the upload form's file input and the form sent, so that the
 * camera's photo and an uploaded file go the same way to verification, which checks it. Without a camera (or
 * permission) the page says so and the upload stays.
 *
 * The signature pad (P6): the responsible person signs on a canvas (pointer events: finger, pen or mouse); the
 * drawing goes with the agreement form as a base64 PNG (verification keeps its SHA-256 on the sealed agreement).
 */
(function () {
  "use strict";

  var WIDTH = 800, HEIGHT = 600;  // P4: the photo's size

  function camera() {
    var box = document.getElementById("camera");
    var form = document.getElementById("photo-form");
    if (!box || !form) return;
    var video = document.getElementById("camera-view");
    var start = document.getElementById("camera-start");
    var take = document.getElementById("camera-take");
    var status = document.getElementById("camera-status");
    var input = form.querySelector("input[type=file]");
    var stream = null;
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia || typeof DataTransfer === "undefined") {
      status.textContent = box.dataset.unavailable;
      return;
    }
    start.hidden = false;
    start.addEventListener("click", function () {
      navigator.mediaDevices.getUserMedia({audio: false, video: {width: {ideal: WIDTH}, height: {ideal: HEIGHT},
                                                                  facingMode: "user"}})
        .then(function (opened) {
          stream = opened;
          video.srcObject = stream;
          video.hidden = false;
          return video.play();
        })
        .then(function () {
          start.hidden = true;
          take.hidden = false;
          status.textContent = box.dataset.ready;
          take.focus();
        })
        .catch(function () {
          status.textContent = box.dataset.unavailable;
        });
    });
    take.addEventListener("click", function () {
      var w = video.videoWidth, h = video.videoHeight;
      if (!w || !h) return;
      var sw = w, sh = h;  // the largest 4:3 part of the frame, around its centre
      if (w * 3 > h * 4) { sw = Math.round(h * 4 / 3); } else { sh = Math.round(w * 3 / 4); }
      var canvas = document.createElement("canvas");
      canvas.width = WIDTH;
      canvas.height = HEIGHT;
      canvas.getContext("2d").drawImage(video, (w - sw) / 2, (h - sh) / 2, sw, sh, 0, 0, WIDTH, HEIGHT);
      take.disabled = true;
      canvas.toBlob(function (blob) {
        var files = new DataTransfer();
        files.items.add(new File([blob], "counter-photo.jpg", {type: "image/jpeg"}));
        input.files = files.files;
        stream.getTracks().forEach(function (track) { track.stop(); });
        status.textContent = box.dataset.sending;
        form.submit();
      }, "image/jpeg", 0.92);
    });
  }

  function signaturePad() {
    var pad = document.getElementById("signature-pad");
    var form = document.getElementById("agreement-form");
    if (!pad || !form) return;
    var field = document.getElementById("signature-data");
    var context = pad.getContext("2d");
    var drawing = false, signed = false;
    context.lineWidth = 3;
    context.lineCap = "round";
    context.strokeStyle = "#1b1b1b";

    function at(event) {
      var box = pad.getBoundingClientRect();
      return {x: (event.clientX - box.left) * pad.width / box.width, y: (event.clientY - box.top) * pad.height / box.height};
    }
    pad.addEventListener("pointerdown", function (event) {
      var p = at(event);
      drawing = true;
      pad.setPointerCapture(event.pointerId);
      context.beginPath();
      context.moveTo(p.x, p.y);
    });
    pad.addEventListener("pointermove", function (event) {
      if (!drawing) return;
      var p = at(event);
      context.lineTo(p.x, p.y);
      context.stroke();
      signed = true;
    });
    ["pointerup", "pointercancel"].forEach(function (name) {
      pad.addEventListener(name, function () { drawing = false; });
    });
    document.getElementById("signature-clear").addEventListener("click", function () {
      context.clearRect(0, 0, pad.width, pad.height);
      signed = false;
    });
    form.addEventListener("submit", function () {
      // verification refuses an agreement without a signature, naming the field
      field.value = signed ? pad.toDataURL("image/png").split(",")[1] : "";
    });
  }

  camera();
  signaturePad();
}());

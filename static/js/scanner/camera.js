// Live QR decoding from the rear camera: the native BarcodeDetector where it reads QR
// codes, else jsQR on video frames drawn to a canvas, about eight decodes a second.

const DECODE_INTERVAL_MS = 125;
// jsQR works on frames scaled down to this many pixels on their long side: big enough
// for a voucher's code held in front of the phone, small enough to decode quickly.
const MAX_FRAME_SIDE = 800;

let jsqrLoading = null;

function loadScript(url) {
  if (typeof window.jsQR === "function") return Promise.resolve();
  if (jsqrLoading === null) {
    jsqrLoading = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = url;
      script.async = true;
      script.onload = () => resolve();
      script.onerror = () => {
        jsqrLoading = null;
        script.remove();
        reject(new Error(`cannot load ${url}`));
      };
      document.head.append(script);
    });
  }
  return jsqrLoading;
}

async function nativeDecoder() {
  if (!("BarcodeDetector" in window)) return null;
  try {
    const formats = await window.BarcodeDetector.getSupportedFormats();
    if (!formats.includes("qr_code")) return null;
    const detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    return async (video) => {
      const found = await detector.detect(video);
      return found.length > 0 ? found[0].rawValue : null;
    };
  } catch {
    return null;
  }
}

async function jsqrDecoder(url) {
  await loadScript(url);
  const canvas = document.createElement("canvas");
  const context = canvas.getContext("2d", { willReadFrequently: true });
  return async (video) => {
    const { videoWidth, videoHeight } = video;
    if (!videoWidth || !videoHeight) return null;
    const scale = Math.min(1, MAX_FRAME_SIDE / Math.max(videoWidth, videoHeight));
    const width = Math.round(videoWidth * scale);
    const height = Math.round(videoHeight * scale);
    if (canvas.width !== width) canvas.width = width;
    if (canvas.height !== height) canvas.height = height;
    context.drawImage(video, 0, 0, width, height);
    const frame = context.getImageData(0, 0, width, height);
    const found = window.jsQR(frame.data, width, height, { inversionAttempts: "dontInvert" });
    return found ? found.data : null;
  };
}

function failure(err) {
  switch (err && err.name) {
    case "NotAllowedError":
    case "SecurityError":
      return "denied";
    case "NotFoundError":
    case "OverconstrainedError":
      return "missing";
    case "NotReadableError":
    case "AbortError":
      return "busy";
    default:
      return "error";
  }
}

/**
 * The camera and its decoding loop. ``onCode(text)`` gets every decoded QR code (the
 * caller debounces); ``onState(state)`` hears "starting", "on", "off" or why it failed:
 * "insecure", "denied", "missing", "busy", "no-decoder", "error".
 */
export class Camera {
  constructor({ video, jsqrUrl, onCode, onState }) {
    this.video = video;
    this.jsqrUrl = jsqrUrl;
    this.onCode = onCode;
    this.onState = onState;
    this.stream = null;
    this.decode = null;
    this.timer = null;
    this.running = false;
    this.starting = false;
  }

  /** True from the moment the camera is asked for until it is stopped. */
  get isRunning() {
    return this.running || this.starting;
  }

  async start() {
    if (this.isRunning) return;
    if (!window.isSecureContext || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      this.onState("insecure");
      return;
    }
    this.starting = true;
    this.onState("starting");
    try {
      this.stream = await navigator.mediaDevices.getUserMedia({
        audio: false,
        video: { facingMode: { ideal: "environment" }, width: { ideal: 1280 }, height: { ideal: 720 } },
      });
      this.decode = this.decode || (await nativeDecoder()) || (await jsqrDecoder(this.jsqrUrl));
    } catch (err) {
      this.starting = false;
      this.stop(this.stream ? "no-decoder" : failure(err));
      return;
    }
    if (!this.starting) {
      this.stop(); // stopped while starting
      return;
    }
    this.video.srcObject = this.stream;
    try {
      await this.video.play();
    } catch (err) {
      this.starting = false;
      this.stop(failure(err));
      return;
    }
    this.starting = false;
    this.running = true;
    this.onState("on");
    this.schedule(0);
  }

  /** Stop decoding and release the camera; ``state`` says why (default "off"). */
  stop(state = "off") {
    this.running = false;
    this.starting = false;
    clearTimeout(this.timer);
    if (this.stream) {
      this.stream.getTracks().forEach((track) => track.stop());
      this.stream = null;
    }
    this.video.srcObject = null;
    this.onState(state);
  }

  schedule(delay) {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.tick(), delay);
  }

  async tick() {
    if (!this.running) return;
    const started = performance.now();
    if (this.video.readyState >= 2) {
      try {
        const text = await this.decode(this.video);
        if (text && this.running) this.onCode(text);
      } catch {
        // an unreadable frame: the next one will do
      }
    }
    if (this.running) {
      this.schedule(Math.max(0, DECODE_INTERVAL_MS - (performance.now() - started)));
    }
  }
}

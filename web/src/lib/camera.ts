// The webcam as a hook: start/stop a 640×480 stream into a <video>, and say why it failed in a way the
// UI can translate.
import { useCallback, useEffect, useRef, useState } from 'react';

export type CameraError = 'camera_insecure' | 'camera_denied' | 'camera_not_found' | 'camera_failed';

export const CAMERA_WIDTH = 640;
export const CAMERA_HEIGHT = 480;

function cameraError(e: unknown): CameraError {
  const name = e instanceof DOMException ? e.name : '';
  if (name === 'NotAllowedError' || name === 'SecurityError') return 'camera_denied';
  if (name === 'NotFoundError' || name === 'OverconstrainedError') return 'camera_not_found';
  return 'camera_failed';
}

export function useCamera() {
  const videoRef = useRef<HTMLVideoElement>(null);
  const streamRef = useRef<MediaStream | null>(null);
  const [active, setActive] = useState(false);
  const [error, setError] = useState<CameraError | null>(null);

  const stop = useCallback(() => {
    streamRef.current?.getTracks().forEach((t) => t.stop());
    streamRef.current = null;
    if (videoRef.current) videoRef.current.srcObject = null;
    setActive(false);
  }, []);

  const start = useCallback(async (): Promise<boolean> => {
    setError(null);
    // getUserMedia exists only in secure contexts (https, or http on localhost / 127.0.0.1).
    if (!navigator.mediaDevices?.getUserMedia) {
      setError('camera_insecure');
      return false;
    }
    try {
      const stream = await navigator.mediaDevices.getUserMedia({
        video: { width: { ideal: CAMERA_WIDTH }, height: { ideal: CAMERA_HEIGHT }, facingMode: 'user' },
        audio: false,
      });
      streamRef.current = stream;
      const video = videoRef.current!;
      video.srcObject = stream;
      await video.play();
      if (!video.videoWidth)
        await new Promise((r) => video.addEventListener('loadedmetadata', r, { once: true }));
      setActive(true);
      return true;
    } catch (e) {
      stop();
      setError(cameraError(e));
      return false;
    }
  }, [stop]);

  useEffect(() => stop, [stop]);

  return { videoRef, active, error, start, stop };
}

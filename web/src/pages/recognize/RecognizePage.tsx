// Recognize (识别人脸): photos, a video file, or the camera.
import { LevelSelect } from '../../components/LevelSelect';
import { ModePage } from '../../components/ModePage';
import { Tabs } from '../../components/Tabs';
import { useI18n } from '../../i18n';
import { useSession } from '../../lib/session';
import { CamerasView } from './CamerasView';
import { LiveCamera } from './LiveCamera';
import { PhotoRecognize } from './PhotoRecognize';
import { VideoRecognize } from './VideoRecognize';

export function RecognizePage({ route }: { route: string[] }) {
  const { t } = useI18n();
  const { capabilities } = useSession();
  const tabs = [
    { id: 'photos', label: t('recognize.photos') },
    ...(capabilities.videos ? [{ id: 'video', label: t('recognize.video') }] : []),
    { id: 'camera', label: t('recognize.camera') },
    ...(capabilities.cameras ? [{ id: 'cameras', label: t('recognize.cameras') }] : []),
  ];
  const tab = tabs.some((x) => x.id === route[0]) ? route[0] : 'photos';
  return (
    <ModePage
      title={t('recognize.title')}
      subtitle={t('recognize.subtitle')}
      tabs={<Tabs base="recognize" tabs={tabs} active={tab} />}
    >
      {tab !== 'cameras' && <LevelSelect />}
      {tab === 'video' ? (
        <VideoRecognize />
      ) : tab === 'camera' ? (
        <LiveCamera />
      ) : tab === 'cameras' ? (
        <CamerasView />
      ) : (
        <PhotoRecognize />
      )}
    </ModePage>
  );
}

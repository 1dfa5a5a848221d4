// Manage (管理人脸): people and their samples, the event history, what is kept and for how long (privacy),
// and (admins) API keys and users.
import { ModePage } from '../../components/ModePage';
import { Tabs } from '../../components/Tabs';
import { useI18n } from '../../i18n';
import { useSession } from '../../lib/session';
import { ApiKeysView } from './ApiKeysView';
import { EventsView } from './EventsView';
import { PeopleList } from './PeopleList';
import { PersonDetailView } from './PersonDetailView';
import { PrivacyView } from './PrivacyView';
import { UsersView } from './UsersView';

export function ManagePage({ route }: { route: string[] }) {
  const { t } = useI18n();
  const { isAdmin } = useSession();
  const tabs = [
    { id: 'people', label: t('manage.people') },
    { id: 'events', label: t('manage.events') },
    { id: 'privacy', label: t('manage.privacy') },
    ...(isAdmin
      ? [
          { id: 'keys', label: t('manage.apiKeys') },
          { id: 'users', label: t('manage.users') },
        ]
      : []),
  ];
  const tab = tabs.some((x) => x.id === route[0]) ? route[0] : 'people';
  const personId = tab === 'people' && route[1] ? Number(route[1]) : null;
  return (
    <ModePage
      title={t('manage.title')}
      subtitle={t('manage.subtitle')}
      tabs={<Tabs base="manage" tabs={tabs} active={tab} />}
    >
      {tab === 'events' ? (
        <EventsView />
      ) : tab === 'privacy' ? (
        <PrivacyView />
      ) : tab === 'keys' ? (
        <ApiKeysView />
      ) : tab === 'users' ? (
        <UsersView />
      ) : personId !== null && Number.isInteger(personId) ? (
        <PersonDetailView key={personId} id={personId} />
      ) : (
        <PeopleList />
      )}
    </ModePage>
  );
}

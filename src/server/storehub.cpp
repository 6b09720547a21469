// SPDX-License-Identifier: BSD-3-Clause
#include "storehub_p.h"

#include "pullstream_p.h"
#include "serverlogging_p.h"

using namespace Qt::StringLiterals;

namespace LiveStore {

int jsonNestingDepth(QByteArrayView json)
{
    int depth = 0;
    int deepest = 0;
    bool inString = false;
    for (qsizetype i = 0; i < json.size(); ++i) {
        const char c = json.at(i);
        if (inString) {
            if (c == '\\')
                ++i; // the escaped character (of \uXXXX only the 'u' matters)
            else if (c == '"')
                inString = false;
            continue;
        }
        switch (c) {
        case '"':
            inString = true;
            break;
        case '{':
        case '[':
            deepest = qMax(deepest, ++depth);
            break;
        case '}':
        case ']':
            --depth;
            break;
        default:
            break;
        }
    }
    return deepest;
}

const QList<QString> &LiveUpdate::chunkFrames(const QString &requestId) const
{
    if (!m_haveFrames || m_framesRequestId != requestId) {
        m_frames.clear();
        m_frames.reserve(pages.size());
        for (const QByteArray &page : pages)
            m_frames.append(QString::fromUtf8(Wire::encodeChunk(requestId, {page})));
        m_framesRequestId = requestId;
        m_haveFrames = true;
    }
    return m_frames;
}

StoreHub::StoreHub(SyncStorage *storage, const SyncHooks *hooks, const QString &storeId,
                   const SyncStorage::StoreInfo &info)
    : m_storage(storage),
      m_hooks(hooks),
      m_storeId(storeId),
      m_backendId(info.backendId),
      m_head(info.head),
      m_exists(info.exists)
{
}

bool StoreHub::refreshExistence(QString *error)
{
    const auto info = m_storage->findStore(m_storeId);
    if (!info) {
        *error = m_storage->errorString();
        return false;
    }
    // A different id means the data was replaced; the registry sorts that out (and ends this
    // hub's pulls) when the storage reports its reconnect. Until then, this hub stays as it was.
    if (info->exists && info->backendId == m_backendId) {
        m_exists = true;
        if (info->head > m_head)
            publish(info->head, nullptr);
    }
    return true;
}

StoreHub::~StoreHub() = default;

std::optional<Wire::SyncError> StoreHub::push(const Wire::PushRequest &request,
                                              const RequestInfo &info)
{
    const QList<Wire::Event> &batch = request.batch;
    if (batch.isEmpty())
        return std::nullopt;

    if (m_hooks->onPush) {
        if (const auto reason = m_hooks->onPush(request, info)) {
            qCInfo(lcServer).noquote() << "push rejected by hook:" << u"store="_s + logId(m_storeId)
                                       << u"conn=#"_s + QString::number(info.connectionId)
                                       << u"reason="_s + *reason;
            return Wire::UnknownError{u"PushRejected"_s, *reason, {}};
        }
    }

    if (request.backendId && *request.backendId != m_backendId)
        return Wire::BackendIdMismatchError{m_backendId, *request.backendId};

    // Stricter than sync-cf, which checks only the first parent: a batch must be a chain, so that
    // the stored log never has gaps or forks. Refused whole, before anything is written.
    if (batch.size() > Wire::MaxEventsPerMessage) {
        return Wire::UnknownError{
                u"InvalidPushError"_s,
                u"a push may carry at most %1 events, this one has %2"_s.arg(
                        QString::number(Wire::MaxEventsPerMessage), QString::number(batch.size())),
                {}};
    }
    for (qsizetype i = 0; i < batch.size(); ++i) {
        const Wire::Event &e = batch.at(i);
        const qint64 expectedParent = i == 0 ? e.parentSeqNum : batch.at(i - 1).seqNum;
        if (e.parentSeqNum != expectedParent || e.seqNum != e.parentSeqNum + 1) {
            return Wire::UnknownError{
                    u"InvalidPushError"_s,
                    u"the batch is not contiguous at index %1: seqNum %2 with parentSeqNum %3 "
                    u"(expected seqNum %4 with parentSeqNum %5)"_s.arg(
                            QString::number(i), QString::number(e.seqNum),
                            QString::number(e.parentSeqNum), QString::number(expectedParent + 1),
                            QString::number(expectedParent)),
                    {}};
        }
    }

    for (qsizetype i = 0; i < batch.size(); ++i) {
        const Wire::Event &e = batch.at(i);
        const int depth = jsonNestingDepth(e.argsJson);
        if (depth > MaxArgsDepth) {
            return Wire::UnknownError{
                    u"InvalidPushError"_s,
                    u"event %1 (seqNum %2, %3): its args nest %4 levels deep, more than the %5 "
                    u"levels a sync server accepts"_s.arg(
                            QString::number(i), QString::number(e.seqNum), e.name.left(100),
                            QString::number(depth), QString::number(MaxArgsDepth)),
                    {}};
        }
    }

    // The head check against the head this hub knows, before the storage is touched. Every head
    // it knows came from the storage (an append, a notification, a read), and heads only move
    // forward: a first parent below it is below the storage's head too, whatever other servers
    // sharing the database have appended since. Under contention most pushes lose the race and
    // end here; each used to cost a write transaction, its rollback and a head read.
    // A first parent above it is not refused here: with a shared database it may be the real
    // head, which another server wrote and whose notification has not arrived yet. The storage's
    // atomic check decides those (and the hub learns the newer head from its answer), so a stale
    // head costs at most one storage attempt, never a wrong refusal.
    const qint64 firstParent = batch.constFirst().parentSeqNum;
    if (firstParent < m_head) {
        qCDebug(lcServer).noquote() << "push refused:" << u"store="_s + logId(m_storeId)
                                    << u"conn=#"_s + QString::number(info.connectionId)
                                    << u"head="_s + QString::number(m_head)
                                    << u"parent="_s + QString::number(firstParent);
        return Wire::ServerAheadError{m_head, firstParent};
    }

    if (!m_exists) {
        // Pulls leave unknown stores uncreated; the push that can start the log creates it.
        QString error;
        if (!refreshExistence(&error))
            return Wire::UnknownError{u"StorageError"_s, error, {}};
        if (!m_exists && firstParent != 0)
            return Wire::ServerAheadError{0, firstParent};
        if (!m_exists) {
            const auto created = m_storage->store(m_storeId);
            if (!created)
                return Wire::UnknownError{u"StorageError"_s, m_storage->errorString(), {}};
            if (created->backendId != m_backendId) {
                // Only when the storage's key changed since this hub was made (a wiped
                // database): the client retries, and meets the store's new hub by then.
                return Wire::UnknownError{
                        u"StorageError"_s,
                        u"the store's data was replaced in the database; try again"_s, {}};
            }
            m_exists = true;
        }
    }

    const QString createdAt = Wire::isoTimestamp();
    const SyncStorage::AppendResult result = m_storage->append(m_storeId, batch, createdAt);
    switch (result.status) {
    case SyncStorage::AppendResult::Status::Failed:
        qCWarning(lcServer).noquote() << "storage error on push:" << u"store="_s + logId(m_storeId)
                                      << u"error="_s + result.error;
        return Wire::UnknownError{u"StorageError"_s, result.error, {}};
    case SyncStorage::AppendResult::Status::ServerAhead:
        qCDebug(lcServer).noquote() << "push refused:" << u"store="_s + logId(m_storeId)
                                    << u"conn=#"_s + QString::number(info.connectionId)
                                    << u"head="_s + QString::number(result.head)
                                    << u"parent="_s + QString::number(firstParent);
        // The storage knows better than our published head (another process may have written):
        // let live pulls catch up, which is what the refused client now waits for.
        if (result.head > m_head)
            publish(result.head, nullptr);
        return Wire::ServerAheadError{result.head, firstParent};
    case SyncStorage::AppendResult::Status::Appended:
        break;
    }

    qCDebug(lcServer).noquote() << "push accepted:" << u"store="_s + logId(m_storeId)
                                << u"conn=#"_s + QString::number(info.connectionId)
                                << u"events="_s + QString::number(batch.size())
                                << u"seq="_s + QString::number(batch.constFirst().seqNum) + u".."_s
                                        + QString::number(batch.constLast().seqNum);
    if (m_hooks->onPushAccepted)
        m_hooks->onPushAccepted(m_storeId, batch);

    LiveUpdate update;
    update.firstParent = firstParent;
    update.lastSeqNum = batch.constLast().seqNum;
    if (!m_subscribers.isEmpty()) {
        QList<Wire::PulledEvent> events;
        events.reserve(batch.size());
        for (const Wire::Event &e : batch)
            events.append({e, Wire::SyncMetadata{createdAt}});
        update.pages = Wire::encodePullResponsePages(events, m_backendId, std::nullopt);
    }
    publish(result.head, &update);
    return std::nullopt;
}

std::optional<Wire::SyncError> StoreHub::admitPull(const Wire::PullRequest &request,
                                                   const RequestInfo &info)
{
    if (m_hooks->onPull) {
        if (const auto reason = m_hooks->onPull(request, info)) {
            qCInfo(lcServer).noquote() << "pull rejected by hook:" << u"store="_s + logId(m_storeId)
                                       << u"conn=#"_s + QString::number(info.connectionId)
                                       << u"reason="_s + *reason;
            return Wire::UnknownError{u"PullRejected"_s, *reason, {}};
        }
    }
    if (request.cursor && request.cursor->backendId != m_backendId)
        return Wire::BackendIdMismatchError{m_backendId, request.cursor->backendId};
    if (request.cursor && request.cursor->eventSequenceNumber > 0 && !m_exists) {
        // The client has events of a store that does not exist (any more): its data was
        // deleted. Reset, as for a replaced backend.
        QString error;
        if (!refreshExistence(&error))
            return Wire::UnknownError{u"StorageError"_s, error, {}};
        if (!m_exists)
            return Wire::BackendIdMismatchError{m_backendId, request.cursor->backendId};
    }
    if (request.cursor && request.cursor->eventSequenceNumber > m_head) {
        // The client holds events this store does not: a restore went back in time, or a
        // database failed over to a replica that had not seen the last commits. Served from
        // here on, it would be sent the new events above its cursor without those below, and
        // its history would fork from everyone else's. The head is read again first: another
        // server may have stored those events a moment ago.
        QString error;
        if (!refreshExistence(&error))
            return Wire::UnknownError{u"StorageError"_s, error, {}};
        if (request.cursor->eventSequenceNumber > m_head) {
            qCWarning(lcServer).noquote() << "pull refused, cursor ahead of the store:"
                                          << u"store="_s + logId(m_storeId)
                                          << u"conn=#"_s + QString::number(info.connectionId)
                                          << u"cursor="_s + QString::number(request.cursor->eventSequenceNumber)
                                          << u"head="_s + QString::number(m_head);
            return Wire::UnknownError{
                    u"CursorAheadOfStore"_s,
                    u"the client has events up to %1, the store only up to %2: the server lost "
                    "events (restored from an older backup?); reset the store (docs/sync-server.md)"_s
                            .arg(request.cursor->eventSequenceNumber)
                            .arg(m_head),
                    {}};
        }
    }
    return std::nullopt;
}

void StoreHub::subscribe(PullStream *stream)
{
    if (!m_subscribers.contains(stream))
        m_subscribers.append(stream);
}

void StoreHub::unsubscribe(PullStream *stream)
{
    m_subscribers.removeOne(stream);
}

void StoreHub::advancedElsewhere(qint64 head)
{
    if (head > m_head)
        publish(head, nullptr);
}

void StoreHub::backendReplaced(const QString &newBackendId)
{
    m_replaced = true;
    const QList<PullStream *> subscribers = m_subscribers;
    for (PullStream *stream : subscribers) {
        if (m_subscribers.contains(stream))
            stream->failWith(Wire::BackendIdMismatchError{newBackendId, m_backendId});
    }
}

void StoreHub::publish(qint64 head, const LiveUpdate *update)
{
    if (head > 0)
        m_exists = true;
    m_head = qMax(m_head, head);
    // A stream may end (and unsubscribe) while it is being served, e.g. when its socket fails:
    // iterate over a copy and skip the ones that left.
    const QList<PullStream *> subscribers = m_subscribers;
    for (PullStream *stream : subscribers) {
        if (m_subscribers.contains(stream))
            stream->advance(m_head, update);
    }
}

} // namespace LiveStore

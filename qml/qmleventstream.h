// SPDX-License-Identifier: BSD-3-Clause
#ifndef LIVESTORE_QMLEVENTSTREAM_H
#define LIVESTORE_QMLEVENTSTREAM_H

#include <eventstream.h>

#include <QtCore/qpointer.h>
#include <QtQml/qqmlparserstatus.h>
#include <QtQml/qqmlregistration.h>

namespace LiveStore {

class QmlStore;

// `EventStream` in QML: a Store element's events in order from `cursor` on, history first, then
// live (see the C++ EventStream for batches, confirmed-only streams and rebases).
//
//     EventStream {
//         store: store
//         cursor: settings.auditCursor          // "e0": from the first event
//         names: ["v1.TodoCreated"]
//         onReceived: (events) => { for (const e of events) audit.append(e); settings.auditCursor = cursor }
//         onRebasedTo: (cursor) => audit.dropAfter(cursor)
//     }
//
// It streams while `active` (default true) and its store is Ready, and starts again from its
// cursor when the store reopens. With a Store that syncs, its SyncStatus tells a confirmedOnly
// stream when the server confirms events.
class QmlEventStream : public LiveStore::EventStream, public QQmlParserStatus
{
    Q_OBJECT
    Q_MOC_INCLUDE("qmlstore.h")
    QML_NAMED_ELEMENT(EventStream)
    Q_INTERFACES(QQmlParserStatus)
    Q_PROPERTY(LiveStore::QmlStore *store READ qmlStore WRITE setQmlStore NOTIFY storeChanged FINAL)
    // Whether the stream should run: it does whenever the store is Ready.
    Q_PROPERTY(bool active READ isWanted WRITE setWanted NOTIFY wantedChanged FINAL)
    // Streaming right now (active, and the store Ready).
    Q_PROPERTY(bool running READ isActive NOTIFY activeChanged FINAL)

public:
    explicit QmlEventStream(QObject *parent = nullptr);

    QmlStore *qmlStore() const { return m_qmlStore; }
    void setQmlStore(QmlStore *store);
    bool isWanted() const { return m_wanted; }
    void setWanted(bool wanted);

    void classBegin() override { }
    void componentComplete() override;

Q_SIGNALS:
    void storeChanged();
    void wantedChanged();
    // The next events, in order, as objects: seqNum, parentSeqNum, name, args (an object, as in
    // Store's committed()), argsJson (the arguments' JSON text as stored), clientId, sessionId,
    // clientOnly. `cursor` is already past them.
    void received(const QVariantList &events);
    // Forget what was received after `cursor` (a string such as "e4"): a rebase renumbered it,
    // and it comes again.
    void rebasedTo(const QString &cursor);

private:
    void update();

    QPointer<QmlStore> m_qmlStore;
    QList<QMetaObject::Connection> m_storeConnections;
    bool m_wanted = true;
    bool m_complete = false;
};

} // namespace LiveStore

#endif // LIVESTORE_QMLEVENTSTREAM_H

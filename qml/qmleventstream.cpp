// SPDX-License-Identifier: BSD-3-Clause
#include "qmleventstream.h"

#include "qmlstore.h"

#include <QtQml/qqmlinfo.h>

using namespace Qt::StringLiterals;

namespace LiveStore {

namespace {

QVariantMap eventObject(const EventRecord &e)
{
    return {{u"seqNum"_s, e.seqNum.toString()},
            {u"parentSeqNum"_s, e.parentSeqNum.toString()},
            {u"name"_s, e.name},
            {u"args"_s, e.args},
            {u"argsJson"_s, QString::fromUtf8(e.argsJson)},
            {u"clientId"_s, e.clientId},
            {u"sessionId"_s, e.sessionId},
            {u"clientOnly"_s, e.seqNum.client != 0}};
}

} // namespace

QmlEventStream::QmlEventStream(QObject *parent) : EventStream(parent)
{
    connect(this, &EventStream::eventsReceived, this, [this](const QList<EventRecord> &events) {
        QVariantList list;
        list.reserve(events.size());
        for (const EventRecord &e : events)
            list.append(eventObject(e));
        Q_EMIT received(list);
    });
    connect(this, &EventStream::rebased, this,
            [this](SequenceNumber cursor) { Q_EMIT rebasedTo(cursor.toString()); });
}

void QmlEventStream::setQmlStore(QmlStore *store)
{
    if (m_qmlStore == store)
        return;
    for (const QMetaObject::Connection &c : std::as_const(m_storeConnections))
        QObject::disconnect(c);
    m_storeConnections.clear();
    m_qmlStore = store;
    if (store) {
        m_storeConnections.append(connect(store, &QmlStore::statusChanged, this, &QmlEventStream::update));
        m_storeConnections.append(connect(store, &QmlStore::syncChanged, this, &QmlEventStream::update));
        // The element destroyed (the QPointer is null by now): `store` is null.
        m_storeConnections.append(connect(store, &QObject::destroyed, this, [this] {
            update();
            Q_EMIT storeChanged();
        }));
    }
    update();
    Q_EMIT storeChanged();
}

void QmlEventStream::setWanted(bool wanted)
{
    if (m_wanted == wanted)
        return;
    m_wanted = wanted;
    update();
    Q_EMIT wantedChanged();
}

void QmlEventStream::update()
{
    // The filters and the cursor are set by then: the stream starts once, where it should.
    if (!m_complete)
        return;
    // The C++ store exists only while the element is Ready (it is replaced when reopened);
    // setStore() stops a stream of the old one.
    Store *store = m_qmlStore && m_qmlStore->status() == QmlStore::Ready ? m_qmlStore->store() : nullptr;
    setStore(store);
    setSyncClient(m_qmlStore && store ? m_qmlStore->sync() : nullptr);
    if (m_wanted && store)
        start();
    else
        stop();
}

void QmlEventStream::componentComplete()
{
    m_complete = true;
    if (!m_qmlStore)
        qmlWarning(this) << "EventStream has no store: it streams nothing until its store property is set";
    update();
}

} // namespace LiveStore

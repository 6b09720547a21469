// SPDX-License-Identifier: BSD-3-Clause
// The library side of model-qml: model-100's edits, seen through QML. A QQmlEngine (QtQml only:
// no window, no QtQuick) loads `import LiveStore` from this build and creates a Store, its schema
// inline, with a LiveQuery. A handler on the LiveQuery's dataChanged reads the changed role of the
// changed row, as a view does for its delegate, into a property, and a binding derives a label
// from it. The figure runs from the commit call (Store.commit, as QML calls it) to that binding's
// notify signal.

#include "livestorebench.h"

#include "workload.h"

#include <livequerymodel.h>

#include <QtCore/qcoreapplication.h>
#include <QtCore/qdir.h>
#include <QtCore/qelapsedtimer.h>
#include <QtCore/qmetaobject.h>
#include <QtCore/qurl.h>
#include <QtQml/qqmlcomponent.h>
#include <QtQml/qqmlengine.h>
#include <QtQml/qqmlproperty.h>

#include <memory>

using namespace Qt::StringLiterals;

namespace Bench::Ours {

namespace {

// The root is the Store itself, not a QtObject: `import QtQml` also imports QtQml.Models, a
// module a Qt installation may lack (Debian 12 without its QML models package), while `import
// LiveStore` alone needs nothing else. Signal handlers and bindings need no import. Without
// QtQml.Models the handler's QModelIndex has no `row` in JavaScript, but passes back to data().
constexpr char Document[] = R"qml(
import LiveStore

Store {
    id: root
    storeId: "bench"

    Table {
        name: "todos"
        TableColumn { name: "id"; type: "text"; primaryKey: true }
        TableColumn { name: "text"; type: "text"; defaultValue: "" }
        TableColumn { name: "completed"; type: "boolean"; defaultValue: false }
        TableColumn { name: "deletedAt"; type: "integer"; nullable: true }
    }
    EventDefinition { name: "v1.TodoCreated"; args: ({ id: "string", text: "string" })
                      sql: "INSERT INTO todos (id, text) VALUES ($id, $text)" }
    EventDefinition { name: "v1.TodoCompleted"; args: ({ id: "string" })
                      sql: "UPDATE todos SET completed = 1 WHERE id = $id" }
    EventDefinition { name: "v1.TodoEdited"; args: ({ id: "string", text: "string" })
                      sql: "UPDATE todos SET text = $text WHERE id = $id" }

    property LiveQuery query: LiveQuery {
        store: root
        sql: "@SQL@"
        keyColumn: "id"
        // What a view does for a delegate: on dataChanged, read the changed role of that row.
        onDataChanged: (topLeft) => { root.changedText = data(topLeft, roleForColumn("text")) }
    }
    property string changedText
    property string label: "edited: " + changedText // the binding measured
}
)qml";

constexpr int WarmupUpdates = 10; // as in the other model scenarios

// Stamps the notify signal of the measured binding (a slot: QML properties have no C++ signal to
// connect a lambda to).
class NotifyProbe : public QObject
{
    Q_OBJECT
public:
    void reset() { m_count = 0; }
    int count() const { return m_count; }
    Clock::time_point last() const { return m_last; }

public Q_SLOTS:
    void notified()
    {
        m_last = Clock::now();
        ++m_count;
    }

private:
    Clock::time_point m_last;
    int m_count = 0;
};

// An event as QML hands it to Store.commit: a name and a map of arguments.
struct QmlEvent
{
    QString name;
    QVariantMap args;
};

QmlEvent toQmlEvent(const Workload::TodoEvent &e)
{
    QVariantMap args{{u"id"_s, QString::fromStdString(e.id)}};
    switch (e.kind) {
    case Workload::TodoEvent::Created:
        args.insert(u"text"_s, QString::fromStdString(e.text));
        return {u"v1.TodoCreated"_s, args};
    case Workload::TodoEvent::Completed:
        return {u"v1.TodoCompleted"_s, args};
    case Workload::TodoEvent::Uncompleted:
        return {u"v1.TodoUncompleted"_s, args};
    case Workload::TodoEvent::Edited:
        args.insert(u"text"_s, QString::fromStdString(e.text));
        return {u"v1.TodoEdited"_s, args};
    }
    Q_UNREACHABLE();
    return {};
}

} // namespace

QJsonObject modelQml(const Context &context)
{
    QQmlEngine engine;
    engine.addImportPath(QString::fromUtf8(LIVESTORE_BENCH_QML_IMPORT_PATH));
    QQmlComponent component(&engine);
    component.setData(QByteArray(Document).replace("@SQL@", Workload::ModelPageSql),
                      QUrl::fromLocalFile(QDir(context.workDir).filePath(u"model-qml.qml"_s)));
    if (!component.isReady()) // createWithInitialProperties() crashes on a component with errors
        throw Error(u"cannot load the QML: "_s + component.errorString());
    const std::unique_ptr<QObject> root(component.createWithInitialProperties(
            {{u"directory"_s, QDir(context.workDir).filePath(u"store"_s)}}));
    if (!root)
        throw Error(u"cannot create the QML objects: "_s + component.errorString());
    // A Store on disk opens on a worker thread: Loading (1) until it is Ready or Error.
    QElapsedTimer opening;
    opening.start();
    while (root->property("status").toInt() == 1 && opening.elapsed() < 60'000)
        QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents, 50);
    if (!root->property("errorString").toString().isEmpty())
        throw Error(u"the Store did not open: "_s + root->property("errorString").toString());
    auto *model = qobject_cast<LiveStore::LiveQueryModel *>(root->property("query").value<QObject *>());
    if (!model)
        throw Error(u"no LiveQuery"_s);

    const QMetaObject *meta = root->metaObject();
    // QML hands JavaScript values (their property order is the arguments' order).
    const QMetaMethod commit = meta->method(meta->indexOfMethod("commit(QString,QJSValue)"));
    const QMetaMethod commitAll = meta->method(meta->indexOfMethod("commitAll(QJSValue)"));
    if (!commit.isValid() || !commitAll.isValid())
        throw Error(u"Store has no commit(name, args) or commitAll(events)"_s);

    // Seed as QML would: one commitAll of {name, args} objects.
    QVariantList seed;
    for (const Workload::TodoEvent &e : Workload::seedEvents(context.sizes.seedTodos)) {
        const QmlEvent event = toQmlEvent(e);
        seed.append(QVariantMap{{u"name"_s, event.name}, {u"args"_s, event.args}});
    }
    bool ok = false;
    commitAll.invoke(root.get(), Qt::DirectConnection, Q_RETURN_ARG(bool, ok),
                     Q_ARG(QJSValue, engine.toScriptValue(seed)));
    if (!ok || model->rowCount() == 0)
        throw Error(u"seeding failed: "_s + root->property("errorString").toString() + model->errorString());

    NotifyProbe probe;
    if (!QQmlProperty(root.get(), u"label"_s)
                 .connectNotifySignal(&probe, probe.metaObject()->indexOfSlot("notified()")))
        throw Error(u"cannot connect to label's notify signal"_s);

    const int idRole = model->roleForColumn(u"id"_s);
    const auto idAt = [&](int row) {
        return model->data(model->index(row), idRole).toString().toStdString();
    };
    Workload::ModelUpdates sequence(Workload::ModelUpdates::Edit);
    Samples samples;
    samples.reserve(context.sizes.modelUpdates);
    qint64 notifications = 0;
    int missed = 0;
    QString lastText;
    for (int i = -WarmupUpdates; i < context.sizes.modelUpdates; ++i) {
        const QmlEvent event = toQmlEvent(sequence.next(model->rowCount(), idAt));
        lastText = event.args.value(u"text"_s).toString();
        probe.reset();
        const QJSValue args = engine.toScriptValue(event.args);
        const auto start = Clock::now();
        commit.invoke(root.get(), Qt::DirectConnection, Q_RETURN_ARG(bool, ok),
                      Q_ARG(QString, event.name), Q_ARG(QJSValue, args));
        if (!ok)
            throw Error(u"commit failed: "_s + root->property("errorString").toString());
        if (i < 0)
            continue;
        if (probe.count() == 0) {
            ++missed;
            continue;
        }
        samples.add(microseconds(start, probe.last()));
        notifications += probe.count();
    }
    if (root->property("label").toString() != u"edited: "_s + lastText)
        throw Error(u"the binding shows \"%1\", not the last edit"_s.arg(root->property("label").toString()));
    QJsonObject result = samples.toJson();
    result.insert(u"notifications_per_update"_s,
                  samples.size() > 0 ? double(notifications) / double(samples.size()) : 0.0);
    if (missed > 0)
        result.insert(u"missed_notifications"_s, missed);
    result.insert(u"rows"_s, model->rowCount());
    return result;
}

} // namespace Bench::Ours

#include "modelqmlbench.moc"

"""Changed columns of a saved row written as ``save(update_fields=...)`` would write them, without the ORM's
query building: ``core.inserts``' counterpart for the few updates every step makes (the work item it closes,
the dossier, the process state).

Each statement's text is made once per model and set of columns. The fields' ``pre_save`` (``auto_now``) and
``get_db_prep_save`` give the values, and ``pre_save`` / ``post_save`` are sent as ``save()`` sends them; a
model's own ``save()`` is not called, so only models whose ``save()`` adds nothing to an update belong here.
Other databases (SQLite, the demo's) take ``save()`` itself; a value that is an expression (``F()``) is refused.
"""
from django.db import DatabaseError, connections, router
from django.db.models.signals import post_save, pre_save

_statements = {}  # (model, columns) -> (the statement's text, the fields in its order, those that are relations)


def _statement(model, fields, connection):
    key = (model, fields)
    made = _statements.get(key)
    if made is None:
        opts = model._meta
        chosen = [f for f in opts.concrete_fields if not f.primary_key and (f.name in fields or f.attname in fields)]
        if len(chosen) != len(set(fields)):
            unknown = set(fields) - {f.name for f in chosen} - {f.attname for f in chosen}
            raise ValueError(f"{model.__name__} has no columns {sorted(unknown)} to update")
        quote = connection.ops.quote_name
        sql = "UPDATE {} SET {} WHERE {} = %s".format(
            quote(opts.db_table), ", ".join(f"{quote(f.column)} = %s" for f in chosen), quote(opts.pk.column))
        made = _statements[key] = (sql, chosen, [f for f in chosen if f.is_relation])
    return made


def save_columns(instance, fields):
    """Write the columns ``fields`` (field names) of ``instance``, a row already saved, in one ``UPDATE``."""
    model = type(instance)
    using = router.db_for_write(model, instance=instance)
    connection = connections[using]
    fields = tuple(fields)
    if connection.vendor != "postgresql" or instance.pk is None:
        instance.save(update_fields=fields)
        return
    sql, chosen, relations = _statement(model, fields, connection)
    update_fields = frozenset(fields)
    pre_save.send(sender=model, instance=instance, raw=False, using=using, update_fields=update_fields)
    if relations:  # save()'s own check: an unsaved related row is refused, one saved since it was set is taken
        instance._prepare_related_fields_for_save(operation_name="save", fields=relations)
    params = []
    for field in chosen:
        value = field.get_db_prep_save(field.pre_save(instance, add=False), connection)
        if hasattr(value, "resolve_expression"):
            raise TypeError(f"{model.__name__}.{field.name}: expressions are not supported here")
        params.append(value)
    params.append(instance.pk)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        if cursor.rowcount != 1:
            raise DatabaseError("Save with update_fields did not affect any rows.")  # save()'s words
    instance._state.adding, instance._state.db = False, using
    post_save.send(sender=model, instance=instance, created=False, update_fields=update_fields, raw=False,
                   using=using)

"""New rows of several tables written in one statement, as ``save()`` would write them one by one.

A row that refers to another row of the same call (an unsaved instance set on its foreign key) gets that row's
id inside the statement (PostgreSQL's ``WITH ... INSERT ... RETURNING``): one round trip and no query
compilation by the ORM, where ``Model.objects.create`` per row costs a statement and about 0.3 ms of Django each.
The model's signals are sent as ``save()`` sends them (``pre_save`` before, ``post_save`` with ``created=True``
after), the fields' defaults and ``auto_now_add`` filled the same way; a model's own ``save()`` is not called,
so only models whose ``save()`` adds nothing to a new row's insert belong here. Other databases (SQLite, the
demo's) save the rows one by one.
"""
import datetime

from django.db import connections, router
from django.db.models import fields as model_fields
from django.db.models.signals import post_save, pre_save

_layouts = {}  # model -> (table, [(field, is a foreign key, plain types)], primary key column), once per model
_statements = {}  # (models, links) -> the statement's text, once per shape

_Field = model_fields.Field
_NONE = type(None)


def _plain_types(field):
    """The value types that ``field`` (on PostgreSQL) would read with its ``pre_save`` and write unchanged
    through ``get_db_prep_save``: a value of one of them is taken as it is, without the field's methods and
    their checks for expressions (about 10 calls a column). Empty: the field's own methods every time."""
    kind = type(field)
    if field.is_relation:
        if (not field.many_to_one or kind.pre_save is not _Field.pre_save
                or kind.get_db_prep_save is not model_fields.related.ForeignKey.get_db_prep_save):
            return ()
        field = field.target_field  # the key is written as the target's primary key writes it
        kind = type(field)
        if not isinstance(field, model_fields.AutoFieldMixin):
            return ()
        return (int, _NONE) if kind.get_prep_value is model_fields.IntegerField.get_prep_value else ()
    if kind.pre_save is not _Field.pre_save and not (
            kind in (model_fields.DateField, model_fields.DateTimeField) and not field.auto_now
            and not field.auto_now_add):
        return ()
    if kind.get_db_prep_save is not _Field.get_db_prep_save:
        return ()
    methods = (kind.get_prep_value, kind.get_db_prep_value, kind.to_python)
    if methods == (model_fields.CharField.get_prep_value, _Field.get_db_prep_value, model_fields.CharField.to_python) \
            or methods == (model_fields.TextField.get_prep_value, _Field.get_db_prep_value,
                           model_fields.TextField.to_python):
        return (str, _NONE)  # to_python gives a str, a subclass too (a choice), back as it is
    if methods == (model_fields.IntegerField.get_prep_value, _Field.get_db_prep_value,
                   model_fields.IntegerField.to_python):
        return (int, _NONE)
    if methods == (model_fields.BooleanField.get_prep_value, _Field.get_db_prep_value,
                   model_fields.BooleanField.to_python):
        return (bool, _NONE)
    if kind is model_fields.DateField:
        return (datetime.date, _NONE)  # adapt_datefield_value: the date itself on PostgreSQL
    if kind is model_fields.DateTimeField:
        return (datetime.datetime, _NONE)  # aware ones only (checked below): no warning, no conversion
    return ()


def _layout(model):
    layout = _layouts.get(model)
    if layout is None:
        opts = model._meta
        if opts.parents:
            raise TypeError(f"{model.__name__}: multi-table inheritance is not supported")
        fields = [(f, f.is_relation and f.many_to_one, _plain_types(f)) for f in opts.local_concrete_fields
                  if not getattr(f, "generated", False) and (f is not opts.pk or not f.db_returning)]
        layout = _layouts[model] = (opts.db_table, fields, opts.pk.column)
    return layout


def insert_rows(*instances):
    """Insert ``instances`` (new, unsaved model instances) in this order, in one statement; each gets its id."""
    using = router.db_for_write(type(instances[0]), instance=instances[0])
    connection = connections[using]
    if connection.vendor != "postgresql":
        for instance in instances:  # in order: each row's links are saved before it
            instance.save(force_insert=True, using=using)
        return
    for instance in instances:
        pre_save.send(sender=type(instance), instance=instance, raw=False, using=using, update_fields=None)
    position = {id(instance): n for n, instance in enumerate(instances)}
    params, shape, links = [], [], []
    for instance in instances:
        _table, fields, _pk = _layout(type(instance))
        shape.append(type(instance))
        values = instance.__dict__
        for field, foreign_key, plain in fields:
            if foreign_key:
                target = field.get_cached_value(instance, None)
                if target is not None and target.pk is None:
                    if id(target) not in position:  # as save() refuses it: the row would lose its link
                        raise ValueError(f"{type(instance).__name__}.{field.name}: the related "
                                         f"{type(target).__name__} is not saved")
                    links.append((field, instance, target))
                    shape.append(position[id(target)])
                    continue
                if target is not None and values.get(field.attname) is None:
                    setattr(instance, field.name, target)  # saved after it was set here, as save() takes it
                shape.append(None)
            if plain:
                value = values.get(field.attname, _Field)  # a deferred attribute is read the ORM's way
                kind = type(value)
                if (kind in plain or (plain[0] is str and isinstance(value, str))) and (
                        kind is not datetime.datetime or value.utcoffset() is not None):
                    params.append(value)
                    continue
            value = field.pre_save(instance, add=True)
            if hasattr(value, "resolve_expression"):  # F(), Now(), a database default: the ORM's own insert
                raise TypeError(f"{type(instance).__name__}.{field.name}: expressions are not supported here")
            params.append(field.get_db_prep_save(value, connection))
    shape = tuple(shape)
    sql = _statements.get(shape)
    if sql is None:
        sql = _statements[shape] = _statement(connection, instances, shape)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        ids = cursor.fetchone()
    for instance, pk in zip(instances, ids, strict=True):
        instance.pk = pk
        instance._state.adding, instance._state.db = False, using
    for field, instance, target in links:
        setattr(instance, field.attname, target.pk)  # forgets the object it was given: kept again
        field.set_cached_value(instance, target)
    for instance in instances:
        post_save.send(sender=type(instance), instance=instance, created=True, update_fields=None, raw=False,
                       using=using)


def _statement(connection, instances, shape):
    """``WITH r0 AS (INSERT ... RETURNING id), r1 AS (INSERT ... (SELECT id FROM r0) ...) SELECT ...``."""
    quote, steps, parts = connection.ops.quote_name, iter(shape), []
    keys = [quote(_layout(type(instance))[2]) for instance in instances]
    for n in range(len(instances)):
        table, fields, _pk = _layout(next(steps))
        values = []
        for _field, foreign_key, _plain in fields:
            target = next(steps) if foreign_key else None
            values.append("%s" if target is None else f"(SELECT {keys[target]} FROM r{target})")
        columns = ", ".join(quote(field.column) for field, _fk, _plain in fields)
        parts.append(f"r{n} AS (INSERT INTO {quote(table)} ({columns}) VALUES ({', '.join(values)}) "
                     f"RETURNING {keys[n]})")
    select = ", ".join(f"(SELECT {key} FROM r{n})" for n, key in enumerate(keys))
    return f"WITH {', '.join(parts)} SELECT {select}"

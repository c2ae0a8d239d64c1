"""Base serializers of the API: a request body may only hold fields the endpoint accepts.

DRF silently drops unknown keys, so a client's typo ("queue_fro") would be ignored and the request half done.
Here an unknown key, or a read-only one, is a 400 naming it.
"""

from __future__ import annotations

from collections.abc import Mapping

from rest_framework import serializers


class StrictFieldsMixin:
    """Refuse keys that are not writable fields of the serializer (unknown: "Unknown field.")."""

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            errors = {}
            for key in data:
                field = self.fields.get(key)
                if field is None:
                    errors[key] = ["Unknown field."]
                elif field.read_only:
                    errors[key] = ["This field is read-only."]
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


class StrictSerializer(StrictFieldsMixin, serializers.Serializer):
    pass


class ModelSerializer(serializers.ModelSerializer):
    """Model serializer whose read-only choice fields keep the blank value their model allows.

    DRF drops `allow_blank` from read-only fields, so the schema would promise one of the choices while the
    answer holds "" (a status not reported yet): schemathesis catches the mismatch.
    """

    def get_fields(self):
        fields = super().get_fields()
        model = getattr(self.Meta, "model", None)
        for name, field in fields.items():
            if not isinstance(field, serializers.ChoiceField) or field.allow_blank or model is None:
                continue
            source = field.source if field.source and field.source != "*" else name
            try:
                model_field = model._meta.get_field(source)
            except Exception:  # not a model field (annotation, property)
                continue
            if getattr(model_field, "blank", False) and getattr(model_field, "choices", None):
                field.allow_blank = True
        return fields


class StrictModelSerializer(StrictFieldsMixin, ModelSerializer):
    pass

"""Our own fixed names that are stored in Russian, shown in the buyer's language.

The seeded tiers (``crm.tiers.services.DEFAULT_TIERS``), the seeded shipping methods and carriers
(``storefront.shipping.services.SEED_METHODS``, ``storefront.fulfilment.models.DEFAULT_CARRIERS``) and the
attribute names and colours the demo catalogue and most feeds use are rows with Russian text. Each known
Russian text maps to an English msgid with a context; the Russian catalogue translates it back to the same
Russian text (``tests/storefront/test_vocabulary.py`` checks that), so Russian pages are unchanged and English pages
read English. Text staff or feeds wrote that is not in the vocabulary is shown as it is: a renamed tier keeps
its new name in every language.

The entries are written as ``pgettext(context, English)`` calls so ``pybabel extract`` finds them with its
default keywords; here ``pgettext`` only marks the pair, the translation happens when the name is shown.
"""

from __future__ import annotations

from storefront.i18n import request_translations


def pgettext(context: str, message: str) -> tuple[str, str]:
    """Marks a msgid for extraction (pybabel's default ``pgettext`` keyword); translated by ``_shown``."""
    return context, message


TIER = "tier"
SHIPPING = "shipping"
ATTRIBUTE = "attribute"
VALUE = "value"

_VOCABULARY: dict[str, dict[str, tuple[str, str]]] = {
    TIER: {
        "Стандарт": pgettext("tier", "Standard"),
        "Серебро": pgettext("tier", "Silver"),
        "Золото": pgettext("tier", "Gold"),
        "Платина": pgettext("tier", "Platinum"),
        "Приоритетная сборка": pgettext("tier", "Priority packing"),
    },
    SHIPPING: {
        "Почта России": pgettext("shipping", "Russian Post"),
        "СДЭК": pgettext("shipping", "CDEK"),
        "СДЭК — пункт выдачи": pgettext("shipping", "CDEK pickup point"),
        "СДЭК — курьер до двери": pgettext("shipping", "CDEK courier to the door"),
        "Сборный груз через склад в Харбине": pgettext("shipping", "Consolidated cargo via the Harbin warehouse"),
        "Мостик Карго": pgettext("shipping", "Mostik Cargo"),
        "Международная посылка до отделения Почты России по индексу.": pgettext(
            "shipping", "International parcel to the Russian Post office of the postcode."
        ),
        "Доставка до пункта выдачи СДЭК, хранение 7 дней.": pgettext(
            "shipping", "Delivery to a CDEK pickup point, kept for 7 days."
        ),
        "Курьер привезёт заказ по адресу в удобный интервал.": pgettext(
            "shipping", "A courier brings the order to the address in a convenient time slot."
        ),
        "Консолидация на нашем складе в Харбине, автодоставка через Забайкальск. Дешевле всего за килограмм.": (
            pgettext(
                "shipping",
                "Consolidated at our Harbin warehouse, by road through Zabaykalsk. The cheapest per kilogram.",
            )
        ),
    },
    ATTRIBUTE: {
        "Цвет": pgettext("attribute", "Colour"),
        "Размер": pgettext("attribute", "Size"),
        "Материал": pgettext("attribute", "Material"),
        "Материал корпуса": pgettext("attribute", "Body material"),
        "Материал верха": pgettext("attribute", "Upper material"),
        "Материал подошвы": pgettext("attribute", "Sole material"),
        "Состав": pgettext("attribute", "Composition"),
        "Гарантия": pgettext("attribute", "Warranty"),
        "Время работы": pgettext("attribute", "Running time"),
        "Длина": pgettext("attribute", "Length"),
        "Высота": pgettext("attribute", "Height"),
        "Толщина": pgettext("attribute", "Thickness"),
        "Объём": pgettext("attribute", "Volume"),
        "Плотность": pgettext("attribute", "Density"),
        "Экран": pgettext("attribute", "Screen"),
        "Защита": pgettext("attribute", "Protection"),
        "Влагозащита": pgettext("attribute", "Water protection"),
        "Мощность": pgettext("attribute", "Power"),
        "Питание": pgettext("attribute", "Power supply"),
        "Напряжение": pgettext("attribute", "Voltage"),
        "Ёмкость аккумулятора": pgettext("attribute", "Battery capacity"),
        "Тип аккумулятора": pgettext("attribute", "Battery type"),
        "Выходы": pgettext("attribute", "Outputs"),
        "Совместимость": pgettext("attribute", "Compatibility"),
        "Упаковка": pgettext("attribute", "Packaging"),
        "Фасовка": pgettext("attribute", "Pack type"),
        "В комплекте": pgettext("attribute", "In the box"),
        "Комплектация": pgettext("attribute", "Supplied"),
        "Комплектность": pgettext("attribute", "Set"),
        "Утеплитель": pgettext("attribute", "Insulation"),
        "Высота каблука": pgettext("attribute", "Heel height"),
        "Покрытие": pgettext("attribute", "Coating"),
        "Подходит для плит": pgettext("attribute", "Suitable for hobs"),
        "Можно мыть в посудомоечной машине": pgettext("attribute", "Dishwasher safe"),
        "Повод": pgettext("attribute", "Occasion"),
        "Монтаж": pgettext("attribute", "Mounting"),
        "Возраст": pgettext("attribute", "Age"),
        "Количество деталей": pgettext("attribute", "Number of pieces"),
        "Наполнитель": pgettext("attribute", "Filling"),
        "Частота": pgettext("attribute", "Frequency"),
        "Масштаб": pgettext("attribute", "Scale"),
        "Тип": pgettext("attribute", "Type"),
        "Сертификат": pgettext("attribute", "Certificate"),
        "Цоколь": pgettext("attribute", "Base"),
        "Цветовая температура": pgettext("attribute", "Colour temperature"),
        "Точность": pgettext("attribute", "Accuracy"),
        "Оттенок": pgettext("attribute", "Shade"),
        "Срок годности": pgettext("attribute", "Shelf life"),
        "Срок службы": pgettext("attribute", "Service life"),
        "Ворс": pgettext("attribute", "Bristles"),
        "Тип кожи": pgettext("attribute", "Skin type"),
        "Страна бренда": pgettext("attribute", "Brand country"),
        "Назначение": pgettext("attribute", "Purpose"),
        "Сезон": pgettext("attribute", "Season"),
        "Бренд": pgettext("attribute", "Brand"),
        "Производитель": pgettext("attribute", "Manufacturer"),
        "Модель": pgettext("attribute", "Model"),
        "Вес": pgettext("attribute", "Weight"),
        "Ширина": pgettext("attribute", "Width"),
        "Страна производства": pgettext("attribute", "Country of manufacture"),
    },
    VALUE: {
        "чёрный": pgettext("value", "black"),
        "белый": pgettext("value", "white"),
        "серый": pgettext("value", "grey"),
        "бежевый": pgettext("value", "beige"),
        "синий": pgettext("value", "blue"),
        "тёмно-синий": pgettext("value", "navy"),
        "голубой": pgettext("value", "light blue"),
        "красный": pgettext("value", "red"),
        "бордовый": pgettext("value", "burgundy"),
        "розовый": pgettext("value", "pink"),
        "зелёный": pgettext("value", "green"),
        "хаки": pgettext("value", "khaki"),
        "жёлтый": pgettext("value", "yellow"),
        "оранжевый": pgettext("value", "orange"),
        "фиолетовый": pgettext("value", "purple"),
        "коричневый": pgettext("value", "brown"),
        "серебристый": pgettext("value", "silver"),
        "золотой": pgettext("value", "gold"),
        "мультиколор": pgettext("value", "multicolour"),
        "прозрачный": pgettext("value", "clear"),
        "камуфляж": pgettext("value", "camouflage"),
        "натуральный": pgettext("value", "natural"),
        "да": pgettext("value", "yes"),
        "нет": pgettext("value", "no"),
    },
}


def vocabulary(kind: str) -> dict[str, tuple[str, str]]:
    """The Russian texts of one kind and their (context, English msgid) pairs."""
    return _VOCABULARY[kind]


def _shown(kind: str, text: str) -> str:
    entry = _VOCABULARY[kind].get(text)
    if entry is None:
        return text
    return request_translations().upgettext(*entry)


def tier_text(text: str) -> str:
    """A tier's name or perks as the buyer reads them: the seeded ones translated, staff's own as written."""
    return _shown(TIER, text)


def shipping_text(text: str) -> str:
    """A shipping method's or carrier's name or description in the buyer's language when it is a seeded one."""
    return _shown(SHIPPING, text)


def attribute_name(name: str) -> str:
    """An attribute's name in the buyer's language when it is one of the common ones."""
    return _shown(ATTRIBUTE, name)


def attribute_value(value: str) -> str:
    """An attribute's value in the buyer's language when it is a colour (or yes/no); other values as written."""
    return _shown(VALUE, value)

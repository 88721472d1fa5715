import pytest

from core.masking import mask, mask_plates

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("我电话13812345678，尽快回电", "mobile", "13812345678"),
        ("手机 138 1234 5678 联系我", "mobile", "138 1234 5678"),
        ("座机0371-67891234", "landline", "0371-67891234"),
        ("身份证号410102199001011234", "id_card", "410102199001011234"),
        ("身份证41010219900101123X办不了", "id_card", "41010219900101123X"),
        ("发到 zhang.san@example.com", "email", "zhang.san@example.com"),
        ("我叫王建国，住在金水区", "name", "王建国"),
        ("联系人：李娜", "name", "李娜"),
        ("银行卡6222021234567890123被扣款", "bank_card", "6222021234567890123"),
        ("请王先生回个电话", "name", "王先生"),
    ],
)
def test_masks_each_kind_of_personal_data(text: str, kind: str, value: str) -> None:
    masked, found = mask(text)
    assert [(f.kind, f.value) for f in found] == [(kind, value)]
    assert value not in masked
    assert masked.count("[") == 1


@pytest.mark.parametrize(
    "text",
    [
        "我是这个小区的业主，楼下天天有人摆摊",
        "文化路与东风路交叉口往北50米井盖没了",
        "豫A12345在消防通道违停三天了",  # plates stay: parking reports need them
        "2026年11月20日晚上10点还在施工",
    ],
)
def test_leaves_ordinary_text_alone(text: str) -> None:
    masked, found = mask(text)
    assert masked == text
    assert found == []


def test_masks_several_data_in_order() -> None:
    masked, found = mask("我叫张伟，电话13912345678，身份证410105198512120011")
    assert masked == "我叫[姓名]，电话[手机号]，身份证[身份证号]"
    assert [f.kind for f in found] == ["name", "mobile", "id_card"]


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("豫A12345这辆车天天堵门口", "[车牌号]这辆车天天堵门口"),
        ("车牌豫A·D12345的新能源车", "车牌[车牌号]的新能源车"),
        ("京N8Q9R2停在消防通道", "[车牌号]停在消防通道"),
    ],
)
def test_masks_plate_numbers_for_prompts(text: str, masked: str) -> None:
    assert mask_plates(text) == masked


def test_plate_masking_leaves_other_codes_alone() -> None:
    text = "3号楼A座2单元，型号AB12345的空调"
    assert mask_plates(text) == text

"""Text normalisation and Chinese tokenisation shared by every matching stage."""

from __future__ import annotations

import importlib
import json
import logging
import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources
from typing import Any

import jieba
import zhconv

from core.component import LoadOnce

jieba.setLogLevel(logging.WARNING)

_SPACE = re.compile(r"\s+")
_TOKEN_CHARS = re.compile(r"[\w\u4e00-\u9fff]")

STOPWORDS = frozenset(
    [
        "的", "了", "是", "在", "我", "你", "他", "她", "它", "们", "这", "那", "就", "也", "都", "还", "又", "和",
        "与", "跟", "及", "或", "把", "被", "给", "让", "对", "从", "到", "向", "往", "于", "为", "啊", "呀", "吧",
        "吗", "呢", "嘛", "哦", "哎", "喂", "嗯", "哈", "么", "着", "过", "很", "太", "最", "更", "非常", "一个",
        "一下", "一些", "这个", "那个", "这里", "那里", "这边", "那边", "我们", "你们", "他们", "自己", "什么",
        "怎么", "为什么", "有", "没", "没有", "不", "要", "会", "能", "可以", "现在", "已经", "今天", "昨天",
        "每天", "一直", "就是", "然后", "但是", "因为", "所以", "如果", "而且", "还是", "希望", "请", "您好",
        "你好", "谢谢", "麻烦", "反映", "反应", "问题", "情况", "市民", "来电", "来电人", "诉求", "称", "说", "讲",
        "看", "看到", "发现", "知道", "那么", "这么", "特别", "真的", "好像", "应该", "一", "个", "人", "里", "上",
        "下", "中", "后", "前", "时候", "地方", "附近", "位置", "处", "号",
    ]
)


@lru_cache(maxsize=1)
def _load_zhconv() -> None:
    """zhconv's own loader leaves its dictionary file open; read it closed, once."""
    module: Any = importlib.import_module("zhconv.zhconv")
    if not module.zhcdicts:
        module.zhcdicts = json.loads(resources.files("zhconv").joinpath("zhcdict.json").read_text("utf-8"))


def normalize(text: str) -> str:
    """Full width to half width, traditional to simplified, collapsed whitespace."""
    _load_zhconv()
    text = unicodedata.normalize("NFKC", text)
    text = zhconv.convert(text, "zh-cn")
    return _SPACE.sub(" ", text).strip()


# Greetings, politeness and letter formulas: every register has its own, and they say nothing about
# the problem, so they must not make two reports about different problems look alike.
_BOILERPLATE = re.compile(
    r"喂+|[你您]好+|我跟[你您]说啊?|我(想|要|来)?(反映|反应|投诉|举报|咨询|问)(一下|个事儿?|个问题|一个问题|个情况)?"
    r"|就是那个|那个那个|这个这个|嗯+|啊+|哎+|呃+|哈+|麻烦(你们|您|了)?|谢谢(你们|您|了)?|感谢(你们|您)?"
    r"|尊敬的[\u4e00-\u9fff]{0,6}(领导|市长|书记|同志|工作人员|12345)[:：,，]?|此致敬礼|此致|敬礼"
    r"|(请|希望|恳请|望)(你们|相关部门|有关部门|领导|政府)?(尽快|赶紧|早日|及时)?(处理|解决|管一管|管管|协调|核实|查处)(一下)?"
    r"|(请|希望)(你们|相关部门|有关部门)(尽快|赶紧)?"
    r"|急急急|在线等|谢谢啦"
)


def strip_boilerplate(text: str) -> str:
    stripped = _BOILERPLATE.sub("", text)
    return stripped if _TOKEN_CHARS.search(stripped) else text


class Tokenizer(LoadOnce):
    """A jieba tokenizer of its own (no global state), taught a knowledge base's vocabulary; jieba's
    dictionary loads on `warm_up` or on the first text."""

    def __init__(self, vocabulary: Iterable[str] = ()) -> None:
        super().__init__()
        self._vocabulary = [w.strip() for w in vocabulary if len(w.strip()) >= 2]
        self._jieba = jieba.Tokenizer()
        self._cut = lru_cache(maxsize=8192)(self._cut_uncached)

    def _load(self) -> None:
        self._jieba.initialize()
        for word in self._vocabulary:
            self._jieba.add_word(word, freq=2000)

    def _cut_uncached(self, text: str) -> tuple[str, ...]:
        return tuple(self._jieba.lcut(text))

    def tokens(self, text: str) -> list[str]:
        """Content tokens: no stopwords, no punctuation, lower-cased latin."""
        self.warm_up()
        out = []
        for token in self._cut(text):
            token = token.strip().lower()
            if token and token not in STOPWORDS and _TOKEN_CHARS.search(token):
                out.append(token)
        return out


# How a citizen asks for something that does not exist yet (a suggestion, a plan, a new facility),
# as opposed to reporting something that is wrong now.
_REQUEST = re.compile(
    r"建议|提议|呼吁|倡议|(希望|请求|恳请|能否|可否|能不能|可不可以|是否可以)[^。！？!?]{0,12}"
    r"(增设|增加|加装|新建|修建|建设|规划|设置|开通|安装|配建|划设|延长|调整|优化)")


def speech_act(text: str) -> str:
    """"request" when the report asks for something new (增设、规划、建议…), else "incident"."""
    return "request" if _REQUEST.search(text) else "incident"


def char_ngrams(text: str, n: int = 2) -> set[str]:
    chars = [c for c in text if _TOKEN_CHARS.match(c)]
    return {"".join(chars[i : i + n]) for i in range(len(chars) - n + 1)}

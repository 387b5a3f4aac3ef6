"""``ListFunctionUrlConfigs`` for moto's Lambda, which lacks it (moto 5.2.5 answers 404).

An operation that lists functions and their URLs (``public-endpoints``) would fail in every
account holding a function, the emulator's own operations account first. Installed by
``orgops.emulator.seams.install``.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

URL_PATH = r"{0}/(?P<api_version>[^/]+)/functions/(?P<function_name>[\w_:%-]+)/urls/?$"


def list_function_url_configs(self: Any) -> str:
    """Installed on moto's ``LambdaResponse``: the function's URL config, if it has one."""
    from moto.awslambda.exceptions import GenericResourcNotFound

    function_name = unquote(self.path.rstrip("/").split("/")[-2])
    try:
        configs = [self.backend.get_function_url_config(function_name).to_dict()]
    except GenericResourcNotFound:  # the function has no URL
        configs = []
    return json.dumps({"FunctionUrlConfigs": configs})

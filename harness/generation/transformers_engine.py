"""The fallback engine: transformers `generate` with PEFT adapters switched in one loaded model."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from harness.generation.engine import Completion, Job, Request, Sampling, render_prompt, request_seed


class TransformersEngine:
    """Loads the base model once; each adapter is a named PEFT adapter on top of it."""

    name = "transformers"

    def __init__(self, model_path: str, adapters: Mapping[str, str], dtype: str = "auto", chat_template_kwargs=None):
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.torch = torch
        self.device = "cuda" if torch.cuda.is_available() else "cpu"
        torch_dtype = _dtype(torch, dtype, self.device)
        self.tokenizer = AutoTokenizer.from_pretrained(model_path, padding_side="left")
        model = AutoModelForCausalLM.from_pretrained(model_path, dtype=torch_dtype).to(self.device)
        if adapters:
            from peft import PeftModel

            items = list(adapters.items())
            model = PeftModel.from_pretrained(model, items[0][1], adapter_name=items[0][0])
            for label, path in items[1:]:
                model.load_adapter(path, adapter_name=label)
        self.model = model.eval()
        self.chat_template_kwargs = dict(chat_template_kwargs or {})
        self.end_ids = set(_end_ids(self.model, self.tokenizer))
        self.settings = {"dtype": str(torch_dtype), "device": self.device}

    def close(self) -> None:
        """Nothing to release: the model lives in this process."""

    def render(self, messages: list[dict[str, str]]) -> str:
        """The shared chat-template rendering."""
        return render_prompt(self.tokenizer, messages, self.chat_template_kwargs)

    def generate_mixed(self, jobs: Sequence[Job], sampling: Sampling) -> list[list[Completion]]:
        """Requests of any labels, one after another, each under its own seed (so batching changes nothing)."""
        return [self._one(request, sampling, adapter) for request, adapter in jobs]

    def _one(self, request: Request, sampling: Sampling, adapter: str | None) -> list[Completion]:
        torch = self.torch
        inputs = self.tokenizer(self.render(request.messages), return_tensors="pt", add_special_tokens=False)
        inputs = inputs.to(self.device)
        prompt_len = inputs["input_ids"].shape[1]
        greedy = sampling.temperature <= 0
        kwargs = dict(
            max_new_tokens=sampling.max_new_tokens,
            do_sample=not greedy,
            num_return_sequences=sampling.n,
            pad_token_id=self.tokenizer.pad_token_id,
            eos_token_id=sorted(self.end_ids),
        )
        if not greedy:
            kwargs.update(temperature=sampling.temperature, top_p=sampling.top_p, top_k=0)
        torch.manual_seed(request_seed(sampling.seed, request.key))
        with torch.inference_mode(), self._adapter(adapter):
            output = self.model.generate(**inputs, **kwargs)
        return [self._completion(row[prompt_len:].tolist(), prompt_len, sampling) for row in output]

    def _adapter(self, adapter: str | None):
        from contextlib import nullcontext

        if adapter is None:
            return self.model.disable_adapter() if hasattr(self.model, "disable_adapter") else nullcontext()
        self.model.set_adapter(adapter)
        return nullcontext()

    def _completion(self, ids: list[int], prompt_len: int, sampling: Sampling) -> Completion:
        end = next((i for i, t in enumerate(ids) if t in self.end_ids), None)
        kept = ids if end is None else ids[: end + 1]
        finish = "stop" if end is not None else "length"
        text = self.tokenizer.decode(kept, skip_special_tokens=True)
        return Completion(text=text, finish_reason=finish, prompt_tokens=prompt_len, completion_tokens=len(kept))


def _dtype(torch, name: str, device: str):
    if name == "auto":
        return torch.bfloat16 if device == "cuda" else torch.float32
    return getattr(torch, name)


def _end_ids(model, tokenizer) -> list[int]:
    ids = model.generation_config.eos_token_id
    ids = list(ids) if isinstance(ids, (list, tuple)) else ([ids] if ids is not None else [])
    if tokenizer.eos_token_id is not None:
        ids.append(tokenizer.eos_token_id)
    return ids

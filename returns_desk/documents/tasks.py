from .services import documents_render_all


def render_documents(return_id: int) -> str:
    made = documents_render_all(return_id=return_id)
    return f"return {return_id}: {', '.join(d.kind for d in made) or 'no documents yet'}"
